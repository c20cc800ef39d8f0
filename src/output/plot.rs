//! Power curves and true survival curves as SVG (plotters, SVG backend only: no system font libraries needed).
//!
//! The legend sits below the plot, so it never covers a curve; each series has its own colour,
//! dash pattern and marker, so curves that coincide stay distinguishable; each point carries its
//! Monte Carlo 95% interval as an error bar, visible however narrow the shaded band is.

use std::collections::BTreeMap;

use plotters::element::DashedPathElement;
use plotters::prelude::*;

/// One line of a power curve: x, power, and its Monte Carlo 95% interval.
#[derive(Debug, Clone)]
pub struct Curve {
    pub label: String,
    /// (x, power, ci_low, ci_high), in increasing x.
    pub points: Vec<(f64, f64, f64, f64)>,
}

const WIDTH: u32 = 960;
const CHART_HEIGHT: u32 = 560;
const LEGEND_ROW: i32 = 24;
/// Dash and gap lengths (pixels) per series, cycled; (0, 0) is a solid line.
const DASHES: [(i32, i32); 3] = [(0, 0), (12, 6), (4, 4)];
const MARKERS: usize = 4;
/// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies, none pale.
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

fn colour(series: usize) -> RGBAColor {
    COLOURS[series % COLOURS.len()].to_rgba()
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws a series' marker at `at`: the same shape on the plot and in the legend.
fn draw_marker<DB: DrawingBackend, X: CoordTranslate>(
    area: &DrawingArea<DB, X>,
    series: usize,
    at: X::From,
    color: RGBAColor,
) -> Drawn<DB> {
    match series % MARKERS {
        0 => area.draw(&Circle::new(at, 4, color.filled())),
        1 => area.draw(&TriangleMarker::new(at, 6, color.filled())),
        2 => {
            area.draw(&(EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], color.filled())))
        }
        _ => area.draw(&Cross::new(at, 5, color.stroke_width(2))),
    }
}

/// The colour of the vertical marks (chosen, planned N): grey, apart from every series.
const MARK_COLOUR: RGBColor = RGBColor(110, 110, 110);

/// A vertical Monte Carlo interval from `lo` to `hi` at `x`, with caps 10 pixels wide, in
/// lines only (plotters' `ErrorBar` also draws a circle at the point, over the marker).
fn draw_error_bar<DB: DrawingBackend>(
    area: &DrawingArea<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x: f64,
    lo: f64,
    hi: f64,
    color: RGBAColor,
) -> Drawn<DB> {
    let style = color.stroke_width(1);
    area.draw(&PathElement::new(vec![(x, lo), (x, hi)], style))?;
    for y in [lo, hi] {
        area.draw(&(EmptyElement::at((x, y)) + PathElement::new(vec![(-5, 0), (5, 0)], style)))?;
    }
    Ok(())
}

/// Draws a series' line through `points`, solid or dashed.
fn draw_line<DB: DrawingBackend, X: CoordTranslate>(
    area: &DrawingArea<DB, X>,
    series: usize,
    points: Vec<X::From>,
    style: ShapeStyle,
) -> Drawn<DB>
where
    X::From: Clone,
{
    match DASHES[series % DASHES.len()] {
        (0, _) => area.draw(&PathElement::new(points, style)),
        (dash, gap) => area.draw(&DashedPathElement::new(points, dash, gap, style)),
    }
}

/// Most curves one power plot draws: beyond it the lines, colours and legend cannot be told
/// apart (a sweep of three keys can make hundreds).
pub const MAX_CURVES: usize = 12;

/// A vertical line at `x` on a power curve (the chosen or the planned sample size), named in
/// the legend.
#[derive(Debug, Clone)]
pub struct Mark {
    pub x: f64,
    pub label: String,
}

/// The smallest and largest x of the curves' points (+inf, -inf when there is none).
pub fn x_range(curves: &[Curve]) -> (f64, f64) {
    curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        })
}

/// The power axis: the intervals' range and the target, with a margin, within [0, 1]; the
/// whole [0, 1] when they span most of it. A narrow range keeps its detail (drawn on [0, 1] a
/// curve from 0.78 to 0.83 looks flat).
fn power_axis(curves: &[Curve], target: Option<f64>) -> (f64, f64) {
    let (lo, hi) = curves
        .iter()
        .flat_map(|c| c.points.iter().flat_map(|p| [p.2, p.3]))
        .chain(target)
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    // No finite value (lo > hi), or most of [0, 1].
    if lo > hi || hi - lo > 0.6 {
        return (0.0, 1.0);
    }
    let margin = (0.08 * (hi - lo)).max(0.01);
    ((lo - margin).max(0.0), (hi + margin).min(1.0))
}

/// Decimals of the power axis' labels: enough to tell its ticks apart (plotters puts about
/// ten on an axis, at 1, 2 or 5 times a power of ten).
fn axis_decimals(lo: f64, hi: f64) -> usize {
    let step = (hi - lo).max(1e-6) / 10.0;
    (-step.log10()).ceil().clamp(1.0, 6.0) as usize
}

/// Draws power against `x_label`, one line per curve with its Monte Carlo 95% interval (band
/// and error bars), the target power as a dashed line and each mark as a dotted vertical
/// line; the legend below names each.
pub fn power_curve_svg(
    title: &str,
    x_label: &str,
    curves: &[Curve],
    target: Option<f64>,
    marks: &[Mark],
) -> String {
    let legend_rows = curves.len() + usize::from(target.is_some()) + marks.len() + 1;
    let height = CHART_HEIGHT + (LEGEND_ROW * legend_rows as i32 + 12) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).expect("draw to string");
        let (upper, lower) = root.split_vertically(CHART_HEIGHT);
        draw_power_chart(&upper, title, x_label, curves, target, marks);
        draw_power_legend(&lower, curves, target, marks);
        root.present().expect("draw to string");
    }
    svg
}

/// The plot of `power_curve_svg`: axes, target, marks, and each curve with its band and bars.
fn draw_power_chart<DB: DrawingBackend>(
    upper: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    curves: &[Curve],
    target: Option<f64>,
    marks: &[Mark],
) {
    let (mut x0, mut x1) = x_range(curves);
    if x0.partial_cmp(&x1) != Some(std::cmp::Ordering::Less) {
        (x0, x1) = (x0 - 1.0, x0 + 1.0);
    }
    let pad = (x1 - x0) * 0.03;
    let (y0, y1) = power_axis(curves, target);
    let decimals = axis_decimals(y0, y1);
    let mut chart = ChartBuilder::on(upper)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), y0..y1)
        .expect("draw to string");
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc("simulated power")
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .y_label_formatter(&|y| format!("{y:.decimals$}"))
        .x_label_formatter(&|x| format!("{}", (x * 1e6).round() / 1e6))
        .draw()
        .expect("draw to string");
    if let Some(t) = target {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0 - pad, t), (x1 + pad, t)],
                8,
                5,
                BLACK.stroke_width(1),
            ))
            .expect("draw to string");
    }
    for m in marks {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(m.x, y0), (m.x, y1)],
                2,
                4,
                MARK_COLOUR.stroke_width(2),
            ))
            .expect("draw to string");
    }
    for (i, curve) in curves.iter().enumerate() {
        let color = colour(i);
        let mut band: Vec<(f64, f64)> = curve.points.iter().map(|p| (p.0, p.2)).collect();
        band.extend(curve.points.iter().rev().map(|p| (p.0, p.3)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.15).filled(),
            )))
            .expect("draw to string");
        let points: Vec<(f64, f64)> = curve.points.iter().map(|p| (p.0, p.1)).collect();
        let area = chart.plotting_area();
        for &(x, _, lo, hi) in &curve.points {
            draw_error_bar(area, x, lo, hi, color).expect("draw to string");
        }
        draw_line(area, i, points.clone(), color.stroke_width(2)).expect("draw to string");
        for p in points {
            draw_marker(area, i, p, color).expect("draw to string");
        }
    }
}

/// The legend of `power_curve_svg`, one row per series, below the plot area.
fn draw_power_legend<DB: DrawingBackend>(
    lower: &DrawingArea<DB, plotters::coord::Shift>,
    curves: &[Curve],
    target: Option<f64>,
    marks: &[Mark],
) {
    let text = TextStyle::from(("sans-serif", 15).into_font());
    let row = |k: usize| 8 + LEGEND_ROW * k as i32 + LEGEND_ROW / 2;
    for (i, curve) in curves.iter().enumerate() {
        let (y, color) = (row(i), colour(i));
        draw_line(lower, i, vec![(88, y), (148, y)], color.stroke_width(2))
            .and_then(|()| draw_marker(lower, i, (118, y), color))
            .and_then(|()| lower.draw(&Text::new(curve.label.clone(), (160, y - 8), &text)))
            .expect("draw to string");
    }
    let mut k = curves.len();
    if let Some(t) = target {
        let y = row(k);
        lower
            .draw(&DashedPathElement::new(
                vec![(88, y), (148, y)],
                8,
                5,
                BLACK.stroke_width(1),
            ))
            .and_then(|()| lower.draw(&Text::new(format!("target power {t}"), (160, y - 8), &text)))
            .expect("draw to string");
        k += 1;
    }
    for m in marks {
        let y = row(k);
        lower
            .draw(&DashedPathElement::new(
                vec![(118, y - 9), (118, y + 9)],
                2,
                4,
                MARK_COLOUR.stroke_width(2),
            ))
            .and_then(|()| lower.draw(&Text::new(m.label.clone(), (160, y - 8), &text)))
            .expect("draw to string");
        k += 1;
    }
    lower
        .draw(&Text::new(
            "bars and shading: Monte Carlo 95% interval of each simulated power (no bar visible: narrower than the marker)",
            (88, row(k) - 8),
            ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
        ))
        .expect("draw to string");
}

/// The file of a time-to-event design's true survival curves.
pub const SURVIVAL_SVG: &str = "survival.svg";

/// The true survival curve of each arm, `(label, [(day, probability alive)])` in increasing
/// day, from day 0 to the last: the model's expected Kaplan-Meier curves.
pub fn survival_curves_svg(title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> String {
    lines_svg(
        &Axes {
            title,
            x: "days from randomisation",
            y: "probability alive (true model)",
            note: "each arm's survival from the scenario's hazards and effects over its mix of labels and endotypes; no loss to follow-up",
        },
        curves,
    )
}

/// The file of a Bayesian design's mean allocation by analysis (the RAR path).
pub const ALLOCATION_SVG: &str = "allocation.svg";

/// Each arm's mean share of the patients randomised at each analysis, `(label, [(patients
/// randomised by the analysis, share)])`.
pub fn allocation_svg(title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> String {
    lines_svg(
        &Axes {
            title,
            x: "patients randomised (whole trial) by the analysis",
            y: "share of the batch randomised before the analysis",
            note: "the mean over the simulated trials still randomising at each analysis (in that label): response-adaptive randomisation at work",
        },
        curves,
    )
}

/// What a plot of lines says on its axes and under its legend.
struct Axes<'a> {
    title: &'a str,
    x: &'a str,
    y: &'a str,
    note: &'a str,
}

/// Lines of probabilities (y in [0, 1]) against x from 0 to the largest x, one colour, dash
/// and marker per line, the legend and a note below.
fn lines_svg(axes: &Axes, curves: &[(String, Vec<(f64, f64)>)]) -> String {
    let height = CHART_HEIGHT + (LEGEND_ROW * (curves.len() as i32 + 1) + 12) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).expect("draw to string");
        let (upper, lower) = root.split_vertically(CHART_HEIGHT);
        let last = curves
            .iter()
            .filter_map(|c| c.1.last().map(|p| p.0))
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(&upper)
            .caption(axes.title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..last, 0.0..1.0)
            .expect("draw to string");
        chart
            .configure_mesh()
            .x_desc(axes.x)
            .y_desc(axes.y)
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .expect("draw to string");
        let area = chart.plotting_area();
        // Markers at about ten evenly spaced x, so that coinciding lines stay apart.
        let every = (last / 10.0).max(1.0);
        for (i, (_, points)) in curves.iter().enumerate() {
            let color = colour(i);
            draw_line(area, i, points.clone(), color.stroke_width(2)).expect("draw to string");
            let mut next = 0.0;
            for &(t, y) in points {
                if t >= next {
                    draw_marker(area, i, (t, y), color).expect("draw to string");
                    next += every;
                }
            }
        }
        let text = TextStyle::from(("sans-serif", 15).into_font());
        let row = |k: usize| 8 + LEGEND_ROW * k as i32 + LEGEND_ROW / 2;
        for (i, (label, _)) in curves.iter().enumerate() {
            let (y, color) = (row(i), colour(i));
            draw_line(&lower, i, vec![(88, y), (148, y)], color.stroke_width(2))
                .and_then(|()| draw_marker(&lower, i, (118, y), color))
                .and_then(|()| lower.draw(&Text::new(label.clone(), (160, y - 8), &text)))
                .expect("draw to string");
        }
        lower
            .draw(&Text::new(
                axes.note,
                (88, row(curves.len()) - 8),
                ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
            ))
            .expect("draw to string");
        root.present().expect("draw to string");
    }
    svg
}

/// Power curves against the first swept key: one per arm and combination of the other keys.
pub fn curves(
    d: &crate::model::design::Design,
    keys: &[String],
    results: &[(Vec<String>, Vec<crate::engine::summary::SummaryRow>)],
) -> Option<Vec<Curve>> {
    let mut by_label: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    let several_arms = results.first().is_some_and(|(_, rows)| rows.len() > 1);
    for (values, rows) in results {
        let x: f64 = values[0].parse().ok().filter(|x: &f64| x.is_finite())?;
        for r in rows {
            let mut parts: Vec<String> = keys[1..]
                .iter()
                .zip(&values[1..])
                .map(|(k, v)| format!("{} = {v}", crate::tools::sweep::key_title(d, k)))
                .collect();
            if several_arms || parts.is_empty() {
                parts.insert(
                    0,
                    format!("{} vs {}", d.arm_display(&r.arm), d.arm_display(&r.control)),
                );
            }
            by_label.entry(parts.join(", ")).or_default().push((
                x,
                r.power,
                r.power_ci_low,
                r.power_ci_high,
            ));
        }
    }
    Some(
        by_label
            .into_iter()
            .map(|(label, mut points)| {
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                Curve { label, points }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(label: &str, half_width: f64) -> Curve {
        Curve {
            label: label.into(),
            points: (1..=5)
                .map(|i| {
                    let (x, y) = (f64::from(i) * 100.0, 0.15 * f64::from(i));
                    (x, y, y - half_width, y + half_width)
                })
                .collect(),
        }
    }

    /// (x, y, text) of every text element.
    fn texts(svg: &str) -> Vec<(f64, f64, String)> {
        let attr = |tag: &str, name: &str| -> f64 {
            let start = tag.find(&format!(" {name}=\"")).expect("attribute") + name.len() + 3;
            tag[start..start + tag[start..].find('"').unwrap()]
                .parse()
                .unwrap()
        };
        svg.split("<text")
            .skip(1)
            .map(|t| {
                let (tag, rest) = t.split_once('>').unwrap();
                let text = rest.split("</text>").next().unwrap().trim().to_string();
                (attr(tag, "x"), attr(tag, "y"), text)
            })
            .collect()
    }

    fn hex(series: usize) -> String {
        let RGBColor(r, g, b) = COLOURS[series];
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    #[test]
    fn the_legend_lies_below_the_plot_and_every_text_on_the_canvas() {
        let svg = power_curve_svg(
            "title",
            "mals prevalence at screening",
            &[curve("first", 0.01), curve("second", 0.01)],
            Some(0.8),
            &[],
        );
        let height = CHART_HEIGHT as f64 + f64::from(LEGEND_ROW * 4 + 12);
        assert!(svg.contains(&format!("viewBox=\"0 0 {WIDTH} {height}\"")));
        let texts = texts(&svg);
        for label in ["first", "second", "target power 0.8"] {
            let (_, y, _) = texts.iter().find(|t| t.2 == label).expect(label);
            assert!(*y > CHART_HEIGHT as f64, "{label} at y = {y}");
        }
        assert!(texts.iter().any(|t| t.2 == "mals prevalence at screening"));
        for (x, y, text) in &texts {
            assert!(
                (0.0..=f64::from(WIDTH)).contains(x) && (0.0..=height).contains(y),
                "{text} at ({x}, {y})"
            );
        }
    }

    #[test]
    fn coinciding_curves_differ_in_colour_dashes_and_markers() {
        let svg = power_curve_svg("t", "x", &[curve("a", 0.0), curve("b", 0.0)], None, &[]);
        let segments = |series: usize| {
            svg.matches(&format!("stroke=\"{}\" stroke-width=\"2\"", hex(series)))
                .count()
        };
        // Series 0: one solid line (plot and legend); series 1: dashed, so many segments.
        assert_eq!(segments(0), 2);
        assert!(segments(1) > 10, "{}", segments(1));
        let circles = svg
            .matches(&format!("fill=\"{}\" stroke=\"none\"", hex(0)))
            .count();
        assert_eq!(circles, 5 + 1);
        let triangles = svg
            .matches(&format!("<polygon opacity=\"1\" fill=\"{}\"", hex(1)))
            .count();
        assert_eq!(triangles, 5 + 1);
    }

    #[test]
    fn a_narrow_power_range_is_drawn_with_a_margin_and_the_target_in_view() {
        let narrow = Curve {
            label: "a".into(),
            points: vec![(1.0, 0.81, 0.80, 0.82), (2.0, 0.82, 0.81, 0.83)],
        };
        let (lo, hi) = power_axis(std::slice::from_ref(&narrow), Some(0.9));
        assert!(
            (0.79..0.80).contains(&lo) && (0.9..0.92).contains(&hi),
            "{lo} {hi}"
        );
        let (lo, hi) = power_axis(std::slice::from_ref(&narrow), None);
        assert!(
            (0.78..0.80).contains(&lo) && (0.83..0.85).contains(&hi),
            "{lo} {hi}"
        );
        // Most of [0, 1]: all of it; never beyond it.
        assert_eq!(power_axis(&[curve("b", 0.01)], Some(0.8)), (0.0, 1.0));
        let top = Curve {
            label: "c".into(),
            points: vec![(1.0, 0.995, 0.99, 1.0)],
        };
        assert_eq!(power_axis(&[top], Some(0.99)).1, 1.0);
        assert_eq!(axis_decimals(0.0, 1.0), 1);
        assert_eq!(axis_decimals(0.45, 0.95), 2);
        assert_eq!(axis_decimals(0.79, 0.84), 3);
        let svg = power_curve_svg("t", "x", &[narrow], Some(0.9), &[]);
        assert!(
            svg.contains(">\n0.900\n<") || svg.contains(">\n0.90\n<"),
            "no tick at the target"
        );
    }

    #[test]
    fn a_marker_is_its_series_shape_only_and_marks_are_named() {
        // Series 1 is drawn with triangles: no circle anywhere (an error bar drew one before).
        let svg = power_curve_svg("t", "x", &[curve("a", 0.05), curve("b", 0.05)], None, &[]);
        assert_eq!(svg.matches("<circle").count(), 5 + 1, "series 0 only");
        let marks = [
            Mark {
                x: 200.0,
                label: "chosen N = 200".into(),
            },
            Mark {
                x: 400.0,
                label: "planned N = 400".into(),
            },
        ];
        let svg = power_curve_svg("t", "x", &[curve("a", 0.05)], Some(0.8), &marks);
        let texts = texts(&svg);
        for label in ["chosen N = 200", "planned N = 400"] {
            let (_, y, _) = texts.iter().find(|t| t.2 == label).expect(label);
            assert!(*y > CHART_HEIGHT as f64, "{label} at y = {y}");
        }
        let grey = format!(
            "stroke=\"#{:02X}{:02X}{:02X}\" stroke-width=\"2\"",
            MARK_COLOUR.0, MARK_COLOUR.1, MARK_COLOUR.2
        );
        assert!(
            svg.matches(&grey).count() > 2 * 10,
            "two dotted vertical lines"
        );
    }

    #[test]
    fn each_point_has_an_interval_bar_however_narrow() {
        for half_width in [0.0005, 0.05] {
            let svg = power_curve_svg("t", "x", &[curve("a", half_width)], None, &[]);
            let bars = svg
                .matches(&format!("stroke=\"{}\" stroke-width=\"1\"", hex(0)))
                .count();
            // An error bar is its vertical line and two caps.
            assert!(
                bars >= 3 * 5,
                "{bars} bar strokes at half width {half_width}"
            );
        }
    }
}
