//! The analytic calendar of an event-driven design (sequential.csv's `analytic_randomised` and
//! `analytic_months`; summary.csv's `analytic_randomised_at_analysis`, `analytic_duration_days`,
//! `analytic_expected_randomised`, `analytic_expected_months`, `analytic_expected_events`):
//! - against rpact 3.3.4's `getPowerSurvival` (R 4.2.2; `analysisTime`, `numberOfSubjects`,
//!   `studyDuration`, `expectedNumberOfSubjects`, `expectedNumberOfEvents`), to 1e-6 relative:
//!   the shipped O'Brien-Fleming design with beta spending, a three-look Pocock design with a
//!   piecewise hazard, loss to follow-up and 2:1 allocation, a fixed event-driven design, and
//!   piecewise accrual intensity (rpact's `accrualTime` and `accrualIntensity`);
//! - Poisson arrivals (rpact has none): the expected deaths and randomised by a day against a
//!   Monte Carlo of the arrival process and death times written here, within 4 SE.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::common;

use endotrial::engine;
use endotrial::engine::summary::{self, DesignColumns, EndpointColumns, SummaryRow};
use endotrial::model::design::Design;
use endotrial::stats::calendar::Calendar;

const DAYS_PER_MONTH: f64 = 30.4375;

fn assert_rel(what: &str, ours: f64, rpact: f64) {
    assert!(
        ((ours - rpact) / rpact).abs() < 1e-6,
        "{what}: ours {ours}, rpact {rpact}"
    );
}

fn run(d: &Design) -> (SummaryRow, Vec<summary::SequentialRow>) {
    let tally = engine::simulate(d, 0..d.replicates, &|_| {});
    (
        summary::summarise(d, &tally).remove(0),
        summary::sequential_rows(d, &tally),
    )
}

/// The analytic calendar columns of a run: per look (randomised, day), and the summary's
/// (randomised at the analysis, duration days, expected events).
fn calendar_columns(d: &Design) -> (Vec<(f64, f64)>, f64, f64, f64) {
    let (row, looks) = run(d);
    let EndpointColumns::TimeToEvent(s) = &row.endpoint else {
        panic!("a time-to-event design")
    };
    let events = match &row.design {
        DesignColumns::Interim(q) => q.analytic_expected_events,
        DesignColumns::NoInterim => f64::NAN,
    };
    (
        looks
            .iter()
            .map(|l| (l.analytic_randomised, l.analytic_months * DAYS_PER_MONTH))
            .collect(),
        s.analytic_randomised_at_analysis,
        s.analytic_duration_days,
        events,
    )
}

/// The shipped scenarios classic_event_driven_looks.toml and classic_event_driven.toml:
/// ```r
/// d <- getDesignGroupSequential(kMax=2, alpha=0.025, beta=0.2, sided=1, typeOfDesign="asOF",
///   typeBetaSpending="bsOF", bindingFutility=FALSE, informationRates=c(0.5,1))
/// r <- getPowerSurvival(d, lambda2 = -log(0.7)/28, hazardRatio = 0.75, directionUpper = FALSE,
///   accrualTime = c(0, 720), maxNumberOfSubjects = 1600, maxNumberOfEvents = 380)
/// r$analysisTime              # 160.755746943943 256.582362934403
/// r$numberOfSubjects          # 357.234993208763 570.183028743118
/// r$studyDuration             # 233.498184101056
/// r$expectedNumberOfSubjects  # 518.884853557903
/// r$expectedNumberOfEvents    # 334.229898102918
/// f <- getPowerSurvival(lambda2 = -log(0.7)/28, hazardRatio = 0.75, directionUpper = FALSE,
///   accrualTime = c(0, 720), maxNumberOfSubjects = 1600, maxNumberOfEvents = 380,
///   alpha = 0.025, sided = 1)
/// f$analysisTime; f$numberOfSubjects   # 256.582362934403 570.183028743118
/// ```
#[test]
fn shipped_event_driven_designs_are_rpacts_calendar() {
    let text = std::fs::read_to_string(common::shipped_path("classic_event_driven_looks.toml"))
        .unwrap()
        .replace("replicates = 100000", "replicates = 100");
    let (looks, randomised, days, events) = calendar_columns(&common::design(&text));
    for (k, (n, t)) in [
        (357.234993208763, 160.755746943943),
        (570.183028743118, 256.582362934403),
    ]
    .into_iter()
    .enumerate()
    {
        assert_rel(&format!("look {k} randomised"), looks[k].0, n);
        assert_rel(&format!("look {k} day"), looks[k].1, t);
    }
    assert_rel("expected randomised", randomised, 518.884853557903);
    assert_rel("study duration", days, 233.498184101056);
    assert_rel("expected events", events, 334.229898102918);

    let text = std::fs::read_to_string(common::shipped_path("classic_event_driven.toml"))
        .unwrap()
        .replace("replicates = 100000", "replicates = 100");
    let d = common::design(&text);
    assert_eq!(d.survival().unwrap().analysis_events, Some(380));
    let (_, randomised, days, _) = calendar_columns(&d);
    assert_rel("fixed: randomised", randomised, 570.183028743118);
    assert_rel("fixed: analysis day", days, 256.582362934403);
}

/// Piecewise accrual intensity (1 a day for 180 days, then 3 a day to day 540: 1,260
/// patients) in the shipped O'Brien-Fleming design without futility:
/// ```r
/// d <- getDesignGroupSequential(kMax=2, alpha=0.025, beta=0.2, sided=1, typeOfDesign="asOF",
///   informationRates=c(0.5,1))
/// r <- getPowerSurvival(d, lambda2 = -log(0.7)/28, hazardRatio = 0.75, directionUpper = FALSE,
///   accrualTime = c(0, 180, 540), accrualIntensity = c(1, 3), accrualIntensityType = "absolute",
///   maxNumberOfSubjects = 1260, maxNumberOfEvents = 380)
/// r$analysisTime              # 241.088414466983 324.302957873621
/// r$numberOfSubjects          # 363.265243400950 612.908873620863
/// r$studyDuration             # 310.691253736046
/// r$expectedNumberOfSubjects  # 572.073761208138
/// r$expectedNumberOfEvents    # 348.921012118022
/// ```
/// The same intensities ten times over (only their ratio matters) give the same calendar.
#[test]
fn piecewise_accrual_intensity_is_rpacts_calendar() {
    let base = std::fs::read_to_string(common::shipped_path("classic_event_driven_looks.toml"))
        .unwrap()
        .replace("replicates = 100000", "replicates = 100")
        .replace("sample_size = 1600", "sample_size = 1260")
        .replace("futility = \"obrien_fleming\"\nfutility_beta = 0.2", "");
    for intensity in ["{ 0 = 1, 180 = 3 }", "{ 0 = 10, 180 = 30 }"] {
        let text = base.replace(
            "accrual_days = 720",
            &format!("accrual_days = 540\naccrual_intensity = {intensity}"),
        );
        let (looks, randomised, days, events) = calendar_columns(&common::design(&text));
        for (k, (n, t)) in [
            (363.265243400950, 241.088414466983),
            (612.908873620863, 324.302957873621),
        ]
        .into_iter()
        .enumerate()
        {
            assert_rel(&format!("look {k} randomised"), looks[k].0, n);
            assert_rel(&format!("look {k} day"), looks[k].1, t);
        }
        assert_rel("expected randomised", randomised, 572.073761208138);
        assert_rel("study duration", days, 310.691253736046);
        assert_rel("expected events", events, 348.921012118022);
    }
}

/// Weibull hazards (rpact's `kappa`) through 28-day mortality 0.3, in the shipped
/// O'Brien-Fleming design without futility (rpact has no Weibull with loss to follow-up
/// without simulation):
/// ```r
/// lambda2 <- (-log(0.7))^(1/kappa) / 28
/// r <- getPowerSurvival(d, lambda2 = lambda2, kappa = kappa, hazardRatio = 0.75,
///   directionUpper = FALSE, accrualTime = c(0, 720), maxNumberOfSubjects = 1600,
///   maxNumberOfEvents = 380)
/// # kappa 0.6: analysisTime 193.071011907140 317.935596558892,
/// #   numberOfSubjects 429.046693126979 706.523547908648, studyDuration 297.511044383733,
/// #   expectedNumberOfSubjects 661.135654186074, expectedNumberOfEvents 348.921012118022
/// # kappa 1.5: analysisTime 140.153287081396 226.543763783695,
/// #   numberOfSubjects 311.451749069769 503.430586185990, studyDuration 212.4125607387,
/// #   expectedNumberOfSubjects 472.027912752667, expectedNumberOfEvents 348.921012118022
/// ```
#[test]
fn weibull_hazards_are_rpacts_calendar() {
    let base = std::fs::read_to_string(common::shipped_path("classic_event_driven_looks.toml"))
        .unwrap()
        .replace("replicates = 100000", "replicates = 100")
        .replace("futility = \"obrien_fleming\"\nfutility_beta = 0.2", "");
    for (kappa, rpact) in WEIBULL_CALENDAR {
        let text = base.replace(
            "analysis_events = 380",
            &format!("analysis_events = 380\nweibull_shape = {kappa}"),
        );
        let (looks, randomised, days, events) = calendar_columns(&common::design(&text));
        let [n1, t1, n2, t2, duration, expected_n, expected_events] = rpact;
        for (k, (n, t)) in [(n1, t1), (n2, t2)].into_iter().enumerate() {
            assert_rel(&format!("{kappa}: look {k} randomised"), looks[k].0, n);
            assert_rel(&format!("{kappa}: look {k} day"), looks[k].1, t);
        }
        assert_rel(
            &format!("{kappa}: expected randomised"),
            randomised,
            expected_n,
        );
        assert_rel(&format!("{kappa}: study duration"), days, duration);
        assert_rel(
            &format!("{kappa}: expected events"),
            events,
            expected_events,
        );
    }
}

/// Per Weibull shape: rpact's numberOfSubjects and analysisTime at each look, studyDuration,
/// expectedNumberOfSubjects and expectedNumberOfEvents (`weibull_hazards_are_rpacts_calendar`).
const WEIBULL_CALENDAR: [(f64, [f64; 7]); 2] = [
    (
        0.6,
        [
            429.046693126979,
            193.071011907140,
            706.523547908648,
            317.935596558892,
            297.511044383733,
            661.135654186074,
            348.921012118022,
        ],
    ),
    (
        1.5,
        [
            311.451749069769,
            140.153287081396,
            503.430586185990,
            226.543763783695,
            212.4125607387,
            472.027912752667,
            348.921012118022,
        ],
    ),
];

/// Brute force: the expected deaths by day `t` of `three_pocock_looks`, by the midpoint rule
/// over 200,000 randomisation days of 600 / 365 patients a day, each dying (hazard 0.02 to day
/// 7, 0.005 after, times the HR; a third control, two thirds HR 0.7) before loss (per day:
/// `control_loss`, `drug_loss`) with the competing-risks probability piece by piece.
fn brute_deaths(t: f64, control_loss: f64, drug_loss: f64) -> f64 {
    let died_by = |u: f64, hr: f64, loss: f64| {
        let (mut dead, mut alive) = (0.0, 1.0);
        for (rate, width) in [(0.02, u.min(7.0)), (0.005, (u - 7.0).max(0.0))] {
            let total = rate * hr + loss;
            let gone = 1.0 - (-total * width).exp();
            dead += alive * gone * rate * hr / total;
            alive *= 1.0 - gone;
        }
        dead
    };
    let steps = 200_000;
    let h = t.min(365.0) / f64::from(steps);
    (0..steps)
        .map(|i| {
            let u = t - (f64::from(i) + 0.5) * h;
            (2.0 * died_by(u, 0.7, drug_loss) + died_by(u, 1.0, control_loss)) / 3.0
        })
        .sum::<f64>()
        * h
        * 600.0
        / 365.0
}

/// The three-look Pocock design with a piecewise hazard and loss to follow-up of 0.001 a day
/// (by 2,000 days of follow-up, which outlast the trial); `drug_dropout` adds keys to the drug
/// arm.
fn three_pocock_looks(drug_dropout: &str) -> String {
    let day28 = 1.0 - (-(0.02 * 7.0 + 0.005 * 21.0_f64)).exp();
    let day7 = 1.0 - (-0.14_f64).exp();
    let dropout = 1.0 - (-0.001 * 2000.0_f64).exp();
    format!(
        r#"
name = "piecewise"
[simulation]
replicates = 100
seed = 3
[[endotype]]
name = "all"
prevalence = 1.0
control_mortality = {{ 7 = {day7}, 28 = {day28} }}
[enrollment]
sample_size = 600
accrual_days = 365
dropout = {dropout}
[endpoint]
kind = "time_to_event"
event = "death"
better = "lower"
follow_up_days = 2000
analysis_events = 200
time_resolution = "continuous"
[[treatment]]
name = "drug"
effect = "hazard_ratio"
by_endotype = {{ all = 0.7 }}
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 2
treatment = "drug"
{drug_dropout}
[analysis]
control = "control"
test = "logrank"
alpha = 0.025
alternative = "one_sided"
[sequential]
looks = [0.3, 0.6, 1.0]
efficacy = "pocock"
"#
    )
}

/// The same design with loss to follow-up at 0.003 a day on the drug (rpact's dropoutRate1)
/// and 0.001 on control (dropoutRate2), as the probability of loss by day 2,000:
/// ```r
/// g1 <- 0.003; g2 <- 0.001
/// r <- getPowerSurvival(d3, piecewiseSurvivalTime = c(0, 7), lambda2 = c(0.02, 0.005),
///   hazardRatio = 0.7, directionUpper = FALSE, accrualTime = c(0, 365),
///   maxNumberOfSubjects = 600, maxNumberOfEvents = 200, allocationRatioPlanned = 2,
///   dropoutRate1 = 1 - exp(-g1*365), dropoutRate2 = 1 - exp(-g2*365), dropoutTime = 365)
/// r$analysisTime     # 135.761178877797 213.942623100467 302.943277931455
/// r$numberOfSubjects # 223.169061168982 351.686503726795 497.988950024310
/// r$studyDuration    # 259.565750035255
/// r$expectedNumberOfSubjects  # 426.683424715488
/// ```
/// rpact's event probability with a piecewise hazard and loss is off the exact integral: at its
/// second look's day the brute force gives 120.0051 deaths (4e-5 relative; 1e-6 at the other
/// two), so its days and numbers randomised agree to 5e-5 here, and endotrial's expected deaths
/// agree with the brute force to 1e-7.
#[test]
fn arm_specific_loss_to_follow_up_is_rpacts() {
    let drug = format!("dropout = {}", 1.0 - (-0.003 * 2000.0_f64).exp());
    let d = common::design(&three_pocock_looks(&drug));
    let (looks, randomised, days, _) = calendar_columns(&d);
    let calendar = Calendar::of(&d).unwrap();
    for (t, deaths) in [
        (135.761178877797, 60.0),
        (213.942623100467, 120.0),
        (302.943277931455, 200.0),
    ] {
        let (ours, brute) = (calendar.deaths_by(t), brute_deaths(t, 0.001, 0.003));
        assert!(
            (ours - brute).abs() < 1e-7 * brute,
            "day {t}: {ours} vs {brute}"
        );
        assert!(((brute - deaths) / deaths).abs() < 5e-5, "day {t}: {brute}");
    }
    let rel = |what: &str, ours: f64, rpact: f64| {
        assert!(
            ((ours - rpact) / rpact).abs() < 5e-5,
            "{what}: {ours} vs {rpact}"
        );
    };
    for (k, (n, t)) in [
        (223.169061168982, 135.761178877797),
        (351.686503726795, 213.942623100467),
        (497.988950024310, 302.943277931455),
    ]
    .into_iter()
    .enumerate()
    {
        rel(&format!("look {k} randomised"), looks[k].0, n);
        rel(&format!("look {k} day"), looks[k].1, t);
    }
    rel("expected randomised", randomised, 426.683424715488);
    rel("study duration", days, 259.565750035255);

    // Simulated, against rpact's simulation of the same design (rpact's own trials: the
    // same allocation, 2 drug to 1 control, is allocation1 = 2, allocation2 = 1 there):
    // s <- getSimulationSurvival(d3, <as above, without allocationRatioPlanned>,
    //   plannedEvents = c(60, 120, 200), allocation1 = 2, allocation2 = 1,
    //   maxNumberOfIterations = 100000, seed = 20261208, longTimeSimulationAllowed = TRUE)
    // s$rejectPerStage  # 0.18416 0.20834 0.23758 (overallReject 0.63008)
    let simulated = common::design(
        &three_pocock_looks(&drug).replace("replicates = 100\n", "replicates = 100000\n"),
    );
    let (row, looks) = run(&simulated);
    let se = |p: f64| (p * (1.0 - p) / 100_000.0).sqrt();
    for (k, rpact) in [0.18416, 0.20834, 0.23758].into_iter().enumerate() {
        let (ours, ours_se) = (looks[k].p_efficacy, looks[k].p_efficacy_se);
        let tol = 4.0 * (ours_se * ours_se + se(rpact) * se(rpact)).sqrt();
        assert!((ours - rpact).abs() < tol, "look {k}: {ours} vs {rpact}");
    }
    let tol = 4.0 * (row.power_se * row.power_se + se(0.63008) * se(0.63008)).sqrt();
    assert!((row.power - 0.63008).abs() < tol, "power {}", row.power);
}

/// A piecewise hazard (0.02 a day to day 7, 0.005 after), loss to follow-up at 0.001 a day,
/// 2:1 allocation, three Pocock looks at 60, 120 and 200 deaths of 600 patients over a year:
/// ```r
/// d3 <- getDesignGroupSequential(kMax=3, alpha=0.025, sided=1, typeOfDesign="asP",
///   informationRates=c(0.3,0.6,1))
/// g <- 0.001
/// r <- getPowerSurvival(d3, piecewiseSurvivalTime = c(0, 7), lambda2 = c(0.02, 0.005),
///   hazardRatio = 0.7, directionUpper = FALSE, accrualTime = c(0, 365),
///   maxNumberOfSubjects = 600, maxNumberOfEvents = 200, allocationRatioPlanned = 2,
///   dropoutRate1 = 1 - exp(-g*365), dropoutRate2 = 1 - exp(-g*365), dropoutTime = 365)
/// r$analysisTime     # 132.774167225592 206.462382702471 288.176657055091
/// r$numberOfSubjects # 218.258905028371 339.390218141049 473.7150526933
/// r$studyDuration    # 248.052116266807
/// r$expectedNumberOfSubjects  # 407.756903452285
/// r$expectedNumberOfEvents    # 162.61605797957
/// r$rejectPerStage   # 0.156381219448574 0.193632138517998 0.235929543594554
/// ```
/// endotrial states loss to follow-up as a probability by follow_up_days; 2,000 days of
/// follow-up outlast the trial, so they change nothing.
#[test]
fn piecewise_hazard_with_loss_and_three_looks_is_rpacts() {
    let d = common::design(&three_pocock_looks(""));
    let (looks, randomised, days, events) = calendar_columns(&d);
    let rpact = [
        (218.258905028371, 132.774167225592),
        (339.390218141049, 206.462382702471),
        (473.7150526933, 288.176657055091),
    ];
    // rpact's expected deaths with a piecewise hazard and loss to follow-up are off the exact
    // integral by up to 6e-6 relative (200.00125 deaths at its third look's day, by the
    // brute-force integral below; uniroot to 1e-13 on rpact's own event probability gives the
    // same day, so it is its probability, not its root search): its days agree to 1e-5 here,
    // and endotrial's expected deaths agree with the brute force to 1e-7.
    let rel = |what: &str, ours: f64, rpact: f64| {
        assert!(
            ((ours - rpact) / rpact).abs() < 1e-5,
            "{what}: {ours} vs {rpact}"
        );
    };
    for (k, (n, t)) in rpact.into_iter().enumerate() {
        rel(&format!("look {k} randomised"), looks[k].0, n);
        rel(&format!("look {k} day"), looks[k].1, t);
    }
    rel("expected randomised", randomised, 407.756903452285);
    rel("study duration", days, 248.052116266807);
    assert_rel("expected events", events, 162.61605797957);
    // endotrial's expected deaths agree with a brute-force integral to 1e-7.
    let calendar = Calendar::of(&d).unwrap();
    for t in [132.774167225592, 206.462382702471, 288.176657055091] {
        let (ours, brute) = (calendar.deaths_by(t), brute_deaths(t, 0.001, 0.001));
        assert!(
            (ours - brute).abs() < 1e-7 * brute,
            "day {t}: {ours} vs {brute}"
        );
    }
    let (_, rows) = run(&d);
    for (r, rpact) in rows
        .iter()
        .zip([0.156381219448574, 0.193632138517998, 0.235929543594554])
    {
        assert!((r.analytic_p_efficacy - rpact).abs() < 1e-6, "{r:?}");
    }
}

/// Poisson arrivals (30 a month) of 400 patients, a 10% day-28 mortality at a constant hazard,
/// follow-up of 90 days: the expected deaths and randomised by days 100, 300 and 500 against a
/// direct simulation of the process (arrivals with exponential gaps; each patient's death time
/// exponential, counted if before the day and within follow-up; HR 0.8 in half the patients).
#[test]
fn poisson_arrivals_match_a_direct_simulation() {
    let text = r#"
name = "poisson"
[simulation]
replicates = 100
seed = 3
[[endotype]]
name = "all"
prevalence = 1.0
control_mortality = { 28 = 0.1 }
[enrollment]
sample_size = 400
accrual_per_month = 30
[endpoint]
kind = "time_to_event"
event = "death"
better = "lower"
follow_up_days = 90
analysis_events = 40
time_resolution = "continuous"
[[treatment]]
name = "drug"
effect = "hazard_ratio"
by_endotype = { all = 0.8 }
[[arm]]
name = "control"
ratio = 1
[[arm]]
name = "drug"
ratio = 1
treatment = "drug"
[analysis]
control = "control"
test = "logrank"
alpha = 0.025
alternative = "one_sided"
"#;
    let d = common::design(text);
    let calendar = Calendar::of(&d).expect("accrual");
    let rate = 30.0 / DAYS_PER_MONTH;
    let hazard = -(0.9_f64).ln() / 28.0;
    let days = [100.0, 300.0, 500.0];
    let trials = 20_000;
    let mut rng = ChaCha8Rng::seed_from_u64(33);
    let mut sums = [[0.0f64; 4]; 3];
    for _ in 0..trials {
        let mut counts = [[0.0f64; 2]; 3];
        let mut t = 0.0;
        for i in 0..400 {
            t += -(1.0 - rng.random::<f64>()).ln() / rate;
            let hr = if i % 2 == 0 { 1.0 } else { 0.8 };
            let death = -(1.0 - rng.random::<f64>()).ln() / (hazard * hr);
            for (k, &day) in days.iter().enumerate() {
                if t <= day {
                    counts[k][0] += 1.0;
                    if death <= 90.0 && t + death <= day {
                        counts[k][1] += 1.0;
                    }
                }
            }
        }
        for k in 0..3 {
            for (j, c) in counts[k].iter().enumerate() {
                sums[k][j] += c;
                sums[k][j + 2] += c * c;
            }
        }
    }
    let n = f64::from(trials);
    for (k, &day) in days.iter().enumerate() {
        for (j, ours) in [calendar.randomised_by(day), calendar.deaths_by(day)]
            .into_iter()
            .enumerate()
        {
            let mean = sums[k][j] / n;
            let se = ((sums[k][j + 2] / n - mean * mean) / n).sqrt();
            // Every patient has arrived by day 500 in every simulated trial (SE 0); the exact
            // expectation falls short of 400 by 3e-5.
            common::assert_mc(&format!("day {day} quantity {j}"), ours, mean, se.max(1e-4));
        }
    }
    // The analysis day is where the expected deaths reach 40.
    let day = calendar.day_of_deaths(40.0).unwrap();
    assert!((calendar.deaths_by(day) - 40.0).abs() < 1e-6, "{day}");
}
