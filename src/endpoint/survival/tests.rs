//! The time-to-event simulator's own tests: memory bounds, the laws of arrival times and
//! chunks, the sort, recorded days and the exact expectations of the risk sets.

use super::accrual::{Accrual, CHUNK_TABLE_ENTRIES, ChunkCounts, MAX_CHUNKS, accrual_span};
use super::patient_level::{ordered_times, recorded_day, sort_by_time};
use super::*;
use crate::model::accrual::AccrualShape;
use crate::model::design::EndpointModel;
use crate::model::scenario::Scenario;
use crate::model::survival::Arrivals;
use crate::model::vocabulary::TimeResolution;
use crate::stats::sampling::TABLE_BYTES;
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

fn design(extra: &str) -> Design {
    design_replacing(extra, "", "")
}

/// `design(extra)` with `from` replaced by `to` in its text.
fn design_replacing(extra: &str, from: &str, to: &str) -> Design {
    let mut text = format!(
        r#"
name = "risk_sets"
[simulation]
replicates = 1
seed = 1
[[endotype]]
name = "all"
prevalence = 1.0
control_mortality = {{ 3 = 0.2, 10 = 0.5 }}
[enrollment]
sample_size = 200
dropout = 0.6
accrual_days = 100
[endpoint]
event = "death"
better = "lower"
kind = "time_to_event"
follow_up_days = 10
{extra}
[[treatment]]
name = "drug"
effect = "hazard_ratio"
by_endotype = {{ all = 0.5 }}
[[arm]]
name = "placebo"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[analysis]
control = "placebo"
test = "logrank"
"#
    );
    if !from.is_empty() {
        text = text.replace(from, to);
    }
    Scenario::from_text(std::path::Path::new("t.toml"), text)
        .unwrap()
        .design
}

/// A thousand endotypes followed 90 days at N = 20,000 keep the per-day tables within their
/// bound (2,000 cells x 90 days x 2 samplers x 20,001 n x 8 bytes = 5.8 GB before it).
#[test]
fn a_thousand_endotypes_share_the_tables_memory() {
    let mut text = String::from("name = \"many\"\n[simulation]\nreplicates = 1\nseed = 1\n");
    for i in 0..1000 {
        text += &format!(
            "[[endotype]]\nname = \"e{i}\"\nprevalence = 0.001\ncontrol_mortality = {{ 90 = 0.4 }}\n"
        );
    }
    text += "[enrollment]\nsample_size = 20000\n[endpoint]\nevent = \"death\"\nbetter = \"lower\"\n\
             kind = \"time_to_event\"\nfollow_up_days = 90\n\
             [[arm]]\nname = \"a\"\nratio = 1\n[[arm]]\nname = \"b\"\nratio = 1\n\
             [analysis]\ncontrol = \"a\"\ntest = \"logrank\"\n";
    let design = Scenario::from_text(std::path::Path::new("t.toml"), text)
        .unwrap()
        .design;
    let sim = SurvivalSimulator::new(&design);
    let days: usize = sim.cells.iter().map(Vec::len).sum();
    assert_eq!(days, 2000 * 90);
    let bytes: usize = sim
        .cells
        .iter()
        .flatten()
        .map(|(death, lost)| death.table_bytes() + lost.table_bytes())
        .chain(
            sim.cell_chain
                .iter()
                .flatten()
                .map(BinomialSampler::table_bytes),
        )
        .sum();
    assert!(bytes <= TABLE_BYTES, "{bytes}");
    assert!(bytes > TABLE_BYTES / 4, "{bytes}: the share is used");
}

/// The randomisation times of `n` patients drawn chunk by chunk, as `draw_chunk` does.
fn entries(accrual: &Accrual, n: u64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let (mut left, mut times) = (n, Vec::new());
    for j in 0.. {
        if left == 0 {
            break;
        }
        let (start, width, count) = accrual.chunk(rng, j, left);
        left -= count;
        if count == 0 {
            continue;
        }
        let mut order = Vec::new();
        let (first, last) = ordered_times(rng, count, (start, width), &mut order);
        assert!(order.is_sorted(), "{order:?}");
        assert_eq!((first, last), (order[0], order[order.len() - 1]));
        accrual.to_days(j, &mut order);
        assert!(order.is_sorted(), "{order:?}");
        assert!(order[0] >= accrual.starts[j] && order[order.len() - 1] <= accrual.starts[j + 1]);
        times.extend(order);
    }
    assert!(times.is_sorted());
    times
}

/// Uniform accrual: the i-th of n randomisation times has mean i / (n + 1) of the period and
/// variance i (n - i + 1) / ((n + 1)^2 (n + 2)) (a Beta(i, n - i + 1)); Poisson arrivals: the
/// i-th has mean i / rate and variance i / rate^2. Within 4 SE for the first, a middle one
/// and the last, with several chunks (and, Poisson, the N-th patient's chunk cut short).
#[test]
fn arrival_times_have_their_order_statistics_laws() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let draws = 40_000;
    for n in [50u64, 150] {
        for arrivals in [
            Arrivals::Uniform { days: 365.0 },
            Arrivals::Poisson { per_day: 0.5 },
        ] {
            let accrual = Accrual::new(Some(&arrivals), n);
            let mut sums = vec![0.0; n as usize];
            for _ in 0..draws {
                let times = entries(&accrual, n, &mut rng);
                assert_eq!(times.len() as u64, n);
                for (sum, t) in sums.iter_mut().zip(times) {
                    *sum += t / f64::from(draws);
                }
            }
            for i in [1u64, n / 2, n - 1, n] {
                let x = i as f64;
                let (mean, var) = match arrivals {
                    Arrivals::Uniform { days } => {
                        let m = (n + 1) as f64;
                        (
                            days * x / m,
                            days * days * x * (m - x) / (m * m * (m + 1.0)),
                        )
                    }
                    Arrivals::Poisson { per_day } => (x / per_day, x / (per_day * per_day)),
                    Arrivals::Piecewise(_) => unreachable!("not drawn here"),
                };
                let got = sums[i as usize - 1];
                let se = (var / f64::from(draws)).sqrt();
                assert!(
                    (got - mean).abs() < 4.0 * se,
                    "{arrivals:?} n {n}, {i}: {got} vs {mean}"
                );
            }
        }
    }
}

/// A piecewise intensity (1 a day to day 100, none to day 130, 4 a day to day 200): the
/// patients randomised by each day are binomial with the shape's probability, N F(t) on
/// average with variance N F(t) (1 - F(t)) (the times are independent draws), within 4 SE, at
/// days inside pieces, at their edges and inside chunks that straddle them; 150 patients in 4
/// chunks, so that chunks hold several pieces.
#[test]
fn piecewise_arrival_times_follow_the_shape() {
    let shape = AccrualShape::new(&[(0.0, 1.0), (100.0, 0.0), (130.0, 4.0)], 200.0).unwrap();
    let accrual = Accrual::new(Some(&Arrivals::Piecewise(shape.clone())), 150);
    assert_eq!(accrual.chunks, 4);
    // The chunks' calendar starts are the quantiles of their fractions; a time falls in the
    // chunk whose [start, next start) holds it.
    for j in 0..4 {
        let start = accrual.starts[j];
        assert_eq!(start, shape.quantile(j as f64 / 4.0));
        assert_eq!(accrual.chunk_of(start), j);
        assert_eq!(accrual.chunk_of(accrual.starts[j + 1].next_down()), j);
    }
    assert_eq!(accrual.chunk_of(200.0), 4);
    assert_eq!(accrual.chunk_of(1e300), 4);
    let days = [10.0, 60.0, 99.0, 100.0, 115.0, 131.0, 150.0, 181.0, 199.0];
    let mut below = vec![0u64; days.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let draws = 20_000;
    for _ in 0..draws {
        let times = entries(&accrual, 150, &mut rng);
        assert_eq!(times.len(), 150);
        assert!(
            times
                .iter()
                .all(|t| !(100.0..130.0).contains(t) || *t == 100.0)
        );
        for (b, d) in below.iter_mut().zip(days) {
            *b += times.partition_point(|&t| t <= d) as u64;
        }
    }
    for (b, d) in below.iter().zip(days) {
        let f = shape.cdf(d);
        let mean = 150.0 * f;
        let se = (150.0 * f * (1.0 - f) / f64::from(draws)).sqrt();
        let got = *b as f64 / f64::from(draws);
        assert!(
            (got - mean).abs() < 4.0 * se,
            "day {d}: {got} vs {mean} (SE {se})"
        );
    }
}

/// The range of a piecewise accrual's randomisation times (`accrual_span`, the count-level
/// duration) has the law of the range of its drawn times: the same mean within 4 SE.
#[test]
fn piecewise_accrual_span_is_the_range_of_the_times() {
    let shape = AccrualShape::new(&[(0.0, 3.0), (50.0, 1.0)], 400.0).unwrap();
    let arrivals = Arrivals::Piecewise(shape);
    let accrual = Accrual::new(Some(&arrivals), 20);
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let draws = 40_000;
    let (mut span, mut range, mut range2) = (0.0, 0.0, 0.0);
    for _ in 0..draws {
        span += accrual_span(&mut rng, &arrivals, 20) / f64::from(draws);
        let times = entries(&accrual, 20, &mut rng);
        let r = times[19] - times[0];
        range += r / f64::from(draws);
        range2 += r * r / f64::from(draws);
    }
    let se = ((range2 - range * range) * 2.0 / f64::from(draws)).sqrt();
    assert!(
        (span - range).abs() < 4.0 * se,
        "{span} vs {range} (SE {se})"
    );
}

/// The chunk count samplers' tables stay within CHUNK_TABLE_ENTRIES whatever N (they took
/// 1 GB at N = 10^6 before they were capped), and hold every count of a usual design.
#[test]
fn chunk_count_tables_are_bounded() {
    let tables = |n: u64| -> u64 {
        match Accrual::new(Some(&Arrivals::Uniform { days: 720.0 }), n).counts {
            ChunkCounts::Uniform(shares) => shares.iter().map(|s| s.mode_table_len() as u64).sum(),
            _ => unreachable!("uniform accrual"),
        }
    };
    assert!(tables(10_000_000) <= CHUNK_TABLE_ENTRIES + MAX_CHUNKS);
    // 1,600 patients in 34 chunks: a table for every count left (the last chunk's p = 1
    // needs none).
    assert_eq!(tables(1600), 33 * 1601);
}

/// A death is counted in the chunk whose [start, end) holds it, never before its patient's
/// chunk, also at the chunk edges where `t / width` rounds across, at every number of
/// chunks (up to Poisson arrivals' 4096) and width.
#[test]
fn deaths_fall_in_the_chunk_that_holds_them() {
    let accrual = Accrual::new(Some(&Arrivals::Uniform { days: 1.0 / 3.0 }), 4800);
    assert_eq!(accrual.chunks, 100);
    let mut accruals = vec![accrual];
    for days in [1.0 / 3.0, 0.7, 720.0, 1e7 / 3.0] {
        for n in [1, 3 * 48, 7 * 48 - 5, 2048 * 48, 10_000_000] {
            accruals.push(Accrual::new(Some(&Arrivals::Uniform { days }), n));
        }
    }
    for per_day in [1e-3, 0.37, 3.0] {
        accruals.push(Accrual::new(Some(&Arrivals::Poisson { per_day }), 1 << 30));
    }
    assert!(accruals.iter().any(|a| a.chunks == MAX_CHUNKS as usize));
    for accrual in &accruals {
        let chunks = accrual.chunks;
        let start = |j: usize| j as f64 * accrual.width;
        // The chunk by a search of every start.
        let starts: Vec<f64> = (1..=chunks).map(start).collect();
        let walked = |t: f64| starts.partition_point(|&s| s <= t);
        for j in 0..chunks {
            let edges = [start(j), start(j).next_up(), start(j + 1).next_down()];
            for t in edges.into_iter().chain([start(j).next_down()]) {
                if t >= 0.0 {
                    assert_eq!(accrual.chunk_of(t), walked(t), "{t}, {chunks} chunks");
                }
            }
            assert_eq!(accrual.chunk_of(start(j)), j);
            assert_eq!(accrual.chunk_of(start(j + 1).next_down()), j);
        }
        assert_eq!(accrual.chunk_of(start(chunks)), chunks);
        assert_eq!(accrual.chunk_of(1e300), chunks);
    }
}

/// An event-driven trial draws every chunk up to the one of its k-th death, and no later
/// one (the patients after it cannot be in the analysis); when that death comes after the
/// chunks tracked (or never), it draws every patient. Uniform accrual (5 chunks of 40), and
/// Poisson arrivals of 4 patients, which often outlast the 2 chunks tracked.
#[test]
fn drawing_stops_after_the_chunk_of_the_kth_death() {
    let uniform = design("analysis_events = 40");
    let poisson = design_replacing(
        "analysis_events = 1",
        "sample_size = 200\ndropout = 0.6\naccrual_days = 100",
        "sample_size = 4\ndropout = 0.6\naccrual_per_month = 1",
    );
    for (d, chunks) in [(uniform, 5), (poisson, 2)] {
        let n = d.sample_size as usize;
        let sim = SurvivalSimulator::new(&d);
        assert_eq!(sim.accrual.chunks, chunks);
        let width = sim.accrual.width;
        let mut trial = sim.new_trial();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (mut stopped_early, mut past_the_chunks) = (0, 0);
        for _ in 0..2000 {
            sim.draw_patients(&mut rng, &mut trial);
            let chunk = sim.accrual.chunk_of(sim.final_analysis(&mut trial));
            if chunk == chunks {
                assert_eq!(trial.drawn.len(), n);
                past_the_chunks += 1;
                continue;
            }
            let entries = trial.drawn.iter().map(|d| d.entry);
            let last = entries.fold(0.0f64, f64::max);
            assert!(last < (chunk + 1) as f64 * width, "{last} {chunk}");
            // Uniform: never an empty chunk, so the last drawn is in the k-th death's.
            assert!(n == 4 || last >= chunk as f64 * width, "{last} {chunk}");
            stopped_early += usize::from(trial.drawn.len() < n);
        }
        assert!(stopped_early > 300, "{stopped_early}");
        assert!(past_the_chunks > 20, "{past_the_chunks}");
    }
}

/// The bucket sort orders as a comparison sort: spread times, whole days with ties, times
/// crowded into few buckets (the fallback), and short lists.
#[test]
fn patients_sort_by_time() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (mut scratch, mut buckets) = (Vec::new(), Vec::new());
    // Exponential times, mean 30 (positive: a list whose longest time is 0 takes the
    // comparison sort).
    let spread = |u: f64| -(-u).ln_1p() * 30.0;
    let days = |u: f64| (u * 40.0).ceil();
    let crowded = |u: f64| if u < 0.99 { u * 1e-3 } else { 1e6 * u };
    for (law, n) in [
        (&spread as &dyn Fn(f64) -> f64, 600),
        (&days, 600),
        (&crowded, 600),
        (&spread, 20),
    ] {
        let mut patients: Vec<Patient> = (0..n)
            .map(|i| Patient {
                time: law(rng.random::<f64>()),
                death: i % 3 == 0,
                arm: i % 2,
                stratum: 0,
            })
            .collect();
        let mut expected: Vec<f64> = patients.iter().map(|p| p.time).collect();
        expected.sort_by(f64::total_cmp);
        let key = |p: &Patient| (p.time.to_bits(), p.arm, p.death);
        let mut ids: Vec<_> = patients.iter().map(key).collect();
        let longest = patients.iter().fold(0.0f64, |m, p| m.max(p.time));
        sort_by_time(&mut patients, longest, &mut scratch, &mut buckets);
        let got: Vec<f64> = patients.iter().map(|p| p.time).collect();
        assert_eq!(got, expected);
        // The same patients, not copies of one.
        let mut after: Vec<_> = patients.iter().map(key).collect();
        ids.sort();
        after.sort();
        assert_eq!(ids, after);
    }
}

#[test]
fn a_recorded_day_is_the_ceiling_of_a_death_and_the_floor_of_a_censoring() {
    for t in [
        0.0,
        1e-300,
        0.3,
        1.0,
        1.0 + f64::EPSILON,
        2.5,
        27.999999,
        28.0,
        1e9 + 0.5,
    ] {
        assert_eq!(recorded_day(t, true), t.ceil() as usize, "{t}");
        assert_eq!(recorded_day(t, false), t.floor() as usize, "{t}");
    }
}

/// In whole days the tabulated trial has the risk sets of the sorted one, set for set,
/// pooled and stratified, two and three arms, at the final analysis and at an early look.
#[test]
fn tabulated_days_give_the_risk_sets_of_sorted_patients() {
    let first = "prevalence = 1.0\ncontrol_mortality = { 3 = 0.2, 10 = 0.5 }";
    let strata = "prevalence = 0.5\ncontrol_mortality = { 3 = 0.2, 10 = 0.5 }\n\
                  [[endotype]]\nname = \"other\"\nprevalence = 0.5\ncontrol_mortality = { 10 = 0.3 }";
    let third = "[[arm]]\nname = \"low\"\nratio = 1\ntreatment = \"drug\"\n[analysis]";
    // The follow-up caps the days tabulated in the first three; not in the last.
    let uncapped = ("follow_up_days = 10", "follow_up_days = 1000");
    for (from, to) in [("", ""), (first, strata), ("[analysis]", third), uncapped] {
        let mut d = design_replacing("analysis_events = 60", from, to);
        assert!(
            from.is_empty() || d.eligible.len() == 2 || d.arms.len() == 3 || from == uncapped.0
        );
        let EndpointModel::TimeToEvent(model) = &mut d.endpoint else {
            panic!("a time-to-event design")
        };
        model.resolution = TimeResolution::Day;
        let sim = SurvivalSimulator::new(&d);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (mut tabulated, mut sorted) = (sim.new_trial(), sim.new_trial());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..200 {
            sim.draw_patients(&mut rng, &mut tabulated);
            sorted.drawn.clone_from(&tabulated.drawn);
            sorted.first_entry = tabulated.first_entry;
            let last = sim.final_analysis(&mut tabulated);
            for analysis in [
                last,
                tabulated.first_entry + 0.4 * (last - tabulated.first_entry),
            ] {
                sim.analyse_at(&mut tabulated, analysis);
                assert!(tabulated.by_day && tabulated.patients.is_empty());
                // The days tabulated are those of the longest follow-up, and one spare.
                let longest = (analysis - tabulated.first_entry).min(sim.follow_up);
                assert_eq!(tabulated.days as f64, longest.ceil() + 2.0);
                sim.sort_patients(&mut sorted, analysis);
                assert!(!sorted.by_day);
                assert_eq!(tabulated.randomised, sorted.randomised);
                assert_eq!(tabulated.events, sorted.events);
                assert_eq!(tabulated.duration.to_bits(), sorted.duration.to_bits());
                for stratified in [false, true] {
                    let arm = d.comparisons().next().unwrap();
                    sim.risk_sets(&tabulated, arm, d.control, stratified, &mut a);
                    sim.risk_sets(&sorted, arm, d.control, stratified, &mut b);
                    assert!(!a.is_empty());
                    assert_eq!(a, b, "{to} stratified {stratified}");
                }
            }
        }
    }
}

/// Mean recorded patients at risk and deaths per day and arm, over `trials` trials.
fn mean_tables(d: &Design, trials: u32) -> (bool, Vec<[f64; 4]>) {
    let sim = SurvivalSimulator::new(d);
    let mut trial = sim.new_trial();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut sums = vec![[0.0; 4]; 10];
    for _ in 0..trials {
        sim.simulate(&mut rng, &mut trial);
        for (day, sum) in sums.iter_mut().enumerate() {
            for a in 0..2 {
                let (at_risk, deaths) = if sim.count_level {
                    (trial.at_risk[a * 10 + day], trial.deaths[a * 10 + day])
                } else if trial.by_day {
                    // Indexed by the recorded day itself (day + 1 here).
                    let cell = a * trial.days + day + 1;
                    if day + 1 < trial.days {
                        (trial.at_risk[cell], trial.deaths[cell])
                    } else {
                        (0, 0)
                    }
                } else {
                    let d = (day + 1) as f64;
                    let on = trial.patients.iter().filter(|p| p.arm as usize == a);
                    let at_risk = on.clone().filter(|p| p.time >= d).count();
                    (
                        at_risk as u64,
                        on.filter(|p| p.death && p.time == d).count() as u64,
                    )
                };
                sum[2 * a] += at_risk as f64 / f64::from(trials);
                sum[2 * a + 1] += deaths as f64 / f64::from(trials);
            }
        }
    }
    (sim.count_level, sums)
}

/// The recorded risk sets' expectations, exactly: on day d, of the n patients of an arm,
/// n A(d - 1) (1 - q_d) are at risk (a patient lost during day d was last seen alive at the
/// end of day d - 1) and n A(d - 1) p_d die, where p_d and q_d are the day's death and loss
/// probabilities and A the probability of neither so far; each arm with its own loss to
/// follow-up. Both ways of drawing a trial
/// (counts; patients, with an event count never reached) within 4 SE (SD per trial at
/// most sqrt(n / 4)).
#[test]
fn recorded_risk_sets_have_the_exact_expectations() {
    for extra in ["", "analysis_events = 200"] {
        // The drug arm loses patients at its own rate (arm.dropout).
        let drug = "treatment = \"drug\"\n";
        let d = design_replacing(extra, drug, &format!("{drug}dropout = 0.3\n"));
        let m = d.survival().unwrap();
        assert_eq!(m.dropout, [0.6, 0.3]);
        let trials = 4000;
        let (count_level, tables) = mean_tables(&d, trials);
        assert_eq!(count_level, extra.is_empty());
        let se = (100.0f64 / 4.0 / f64::from(trials)).sqrt();
        for (a, ratio) in [(0, 1.0), (1, 0.5)] {
            let mut neither = 100.0;
            for (day, t) in tables.iter().enumerate() {
                let (p, q) = crate::stats::survival::competing(
                    &m.control[0],
                    ratio,
                    m.dropout_hazard[a],
                    day as f64,
                    day as f64 + 1.0,
                );
                let (at_risk, deaths) = (neither * (1.0 - q), neither * p);
                assert!(
                    (t[2 * a] - at_risk).abs() < 4.0 * se,
                    "{extra} arm {a} day {}: at risk {} vs {at_risk}",
                    day + 1,
                    t[2 * a]
                );
                assert!(
                    (t[2 * a + 1] - deaths).abs() < 4.0 * se,
                    "{extra} arm {a} day {}: deaths {} vs {deaths}",
                    day + 1,
                    t[2 * a + 1]
                );
                neither *= 1.0 - p - q;
            }
        }
    }
}
