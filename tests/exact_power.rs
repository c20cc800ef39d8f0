//! Simulated power against exact power from enumeration of every 2 x 2 table (and of every
//! allocation and dropout count), for each pooled test, one- and two-sided, equal and unequal
//! allocation, block and simple randomisation, with and without dropout, and under the null.
//! Tolerance: 4 Monte Carlo standard errors of the simulated power, with a fixed seed.

mod common;

use common::TwoArm;
use endotrial::power::exact_power;

fn check(case: TwoArm) {
    let design = case.design();
    let rows = common::run(&design);
    let row = &rows[0];
    let exact = exact_power(&design, 1);
    let se = (exact * (1.0 - exact) / design.replicates as f64).sqrt();
    assert!(
        (row.power - exact).abs() <= 4.0 * se,
        "{} {} N={} ratio {}:{} {} dropout {}: simulated {} vs exact {} (4 SE = {})",
        case.test,
        case.alternative,
        case.sample_size,
        case.ratio_drug,
        case.ratio_control,
        case.randomisation,
        case.dropout,
        row.power,
        exact,
        4.0 * se
    );
}

#[test]
fn chi_square_two_sided_equal_allocation() {
    check(TwoArm {
        test: "chi_square",
        sample_size: 80,
        ..TwoArm::default()
    });
}

#[test]
fn chi_square_one_sided_unequal_simple_randomisation() {
    check(TwoArm {
        test: "chi_square",
        alternative: "one_sided",
        ratio_drug: 2,
        ratio_control: 1,
        randomisation: "simple",
        sample_size: 45,
        seed: 12,
        ..TwoArm::default()
    });
}

#[test]
fn chi_square_one_sided_in_the_direction_of_lower_risk() {
    // better = "lower" with a harmful effect: a one-sided test in the direction of benefit
    // almost never rejects; then with a protective effect it has power.
    for (effect, seed) in [(2.0, 13), (0.2, 14)] {
        check(TwoArm {
            test: "chi_square",
            alternative: "one_sided",
            better: "lower",
            effect,
            seed,
            ..TwoArm::default()
        });
    }
}

#[test]
fn yates_two_sided_unequal_allocation_incomplete_block_with_dropout() {
    check(TwoArm {
        test: "chi_square_yates",
        ratio_drug: 2,
        ratio_control: 1,
        sample_size: 61,
        dropout: 0.1,
        seed: 15,
        ..TwoArm::default()
    });
}

#[test]
fn yates_one_sided() {
    check(TwoArm {
        test: "chi_square_yates",
        alternative: "one_sided",
        sample_size: 50,
        seed: 16,
        ..TwoArm::default()
    });
}

#[test]
fn fisher_two_sided_odd_sample_size_with_dropout() {
    check(TwoArm {
        test: "fisher_exact",
        sample_size: 41,
        dropout: 0.05,
        seed: 17,
        ..TwoArm::default()
    });
}

#[test]
fn fisher_one_sided_simple_randomisation() {
    check(TwoArm {
        test: "fisher_exact",
        alternative: "one_sided",
        randomisation: "simple",
        sample_size: 50,
        seed: 18,
        ..TwoArm::default()
    });
}

#[test]
fn type_one_error_under_the_null() {
    for (test, alternative, seed) in [
        ("chi_square", "two_sided", 21),
        ("chi_square_yates", "two_sided", 22),
        ("fisher_exact", "two_sided", 23),
        ("fisher_exact", "one_sided", 24),
        ("chi_square", "one_sided", 25),
    ] {
        check(TwoArm {
            test,
            alternative,
            effect: 1.0,
            sample_size: 40,
            dropout: 0.05,
            seed,
            ..TwoArm::default()
        });
    }
}
