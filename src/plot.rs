//! Power curves as SVG (plotters, SVG backend only: no system font libraries needed).

use plotters::prelude::*;

/// One line of a power curve: x, power, and its Monte Carlo 95% interval.
#[derive(Debug, Clone)]
pub struct Curve {
    pub label: String,
    /// (x, power, ci_low, ci_high), in increasing x.
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Draws power against `x_label`, one line per curve with its Monte Carlo 95% band, and the
/// target power as a dashed line.
pub fn power_curve_svg(
    title: &str,
    x_label: &str,
    curves: &[Curve],
    target: Option<f64>,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 600)).into_drawing_area();
        root.fill(&WHITE).expect("draw to string");
        let xs = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0));
        let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        if x0.partial_cmp(&x1) != Some(std::cmp::Ordering::Less) {
            (x0, x1) = (x0 - 1.0, x0 + 1.0);
        }
        let pad = (x1 - x0) * 0.03;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..1.0)
            .expect("draw to string");
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("power (simulated; band: Monte Carlo 95% CI)")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_label_formatter(&|x| format!("{}", (x * 1e6).round() / 1e6))
            .draw()
            .expect("draw to string");
        for (i, curve) in curves.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let mut band: Vec<(f64, f64)> = curve.points.iter().map(|p| (p.0, p.2)).collect();
            band.extend(curve.points.iter().rev().map(|p| (p.0, p.3)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band,
                    color.mix(0.18).filled(),
                )))
                .expect("draw to string");
            chart
                .draw_series(LineSeries::new(
                    curve.points.iter().map(|p| (p.0, p.1)),
                    color.stroke_width(2),
                ))
                .expect("draw to string")
                .label(curve.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    curve
                        .points
                        .iter()
                        .map(|p| Circle::new((p.0, p.1), 3, color.filled())),
                )
                .expect("draw to string");
        }
        if let Some(t) = target {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x0 - pad, t), (x1 + pad, t)],
                    8,
                    5,
                    BLACK.stroke_width(1),
                ))
                .expect("draw to string")
                .label(format!("target power {t}"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .expect("draw to string");
        root.present().expect("draw to string");
    }
    svg
}
