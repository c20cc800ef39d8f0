//! Tests of `stats::boundaries` against closed forms and reference values of R and rpact.

use super::*;

/// rpact 3.3.4 (R 4.2.2), `getDesignGroupSequential(...)`: critical values and cumulative
/// alpha spent. Each call is written beside its values; rpact spends alpha - 1e-8 at the last
/// look, hence the tolerance there.
struct Case {
    call: &'static str,
    fractions: &'static [f64],
    alpha: f64,
    sides: Sides,
    efficacy: Efficacy,
    futility: Option<(&'static [f64], bool)>,
    critical: &'static [f64],
    spent: &'static [f64],
}

const ONE_THIRD: f64 = 1.0 / 3.0;
const TWO_THIRDS: f64 = 2.0 / 3.0;

const CASES: &[Case] = &[
    Case {
        call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asOF', informationRates=c(0.3,0.7,1)",
        fractions: &[0.3, 0.7, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::OBrienFleming),
        futility: None,
        critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
        spent: &[4.27257874446862e-05, 0.00738448933253566, 0.02499999],
    },
    Case {
        call: "kMax=4, alpha=0.025, sided=1, typeOfDesign='asP', informationRates=c(0.25,0.5,0.75,1)",
        fractions: &[0.25, 0.5, 0.75, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::Pocock),
        futility: None,
        critical: &[
            2.36832770352391,
            2.36752428859472,
            2.3581683114171,
            2.35003597289324,
        ],
        spent: &[
            0.00893435048771973,
            0.0155028628200927,
            0.0206997234836478,
            0.02499999,
        ],
    },
    Case {
        call: "kMax=4, alpha=0.025, sided=1, typeOfDesign='asKD', gammaA=2, informationRates=c(0.2,0.45,0.8,1)",
        fractions: &[0.2, 0.45, 0.8, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::KimDeMets(2.0)),
        futility: None,
        critical: &[
            3.09023230616781,
            2.62186177819967,
            2.22165527194738,
            2.10358796268702,
        ],
        spent: &[0.001, 0.00506249997502939, 0.0159999998595889, 0.02499999],
    },
    Case {
        call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asHSD', gammaA=-4, informationRates=c(1/3,2/3,1)",
        fractions: &[ONE_THIRD, TWO_THIRDS, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::HwangShihDeCani(-4.0)),
        futility: None,
        critical: &[3.01073948538569, 2.54653055220842, 1.99922635406256],
        spent: &[0.00130306171619521, 0.00624644514660178, 0.02499999],
    },
    Case {
        // gamma = 0: the linear limit, alpha t.
        call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asHSD', gammaA=0, informationRates=c(0.3,0.7,1)",
        fractions: &[0.3, 0.7, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::HwangShihDeCani(0.0)),
        futility: None,
        critical: &[2.43237905858445, 2.25320955365896, 2.2089948579669],
        spent: &[0.00750000000000006, 0.0175000000016736, 0.02499999],
    },
    Case {
        call: "kMax=2, alpha=0.05, sided=2, typeOfDesign='asHSD', gammaA=1, informationRates=c(0.5,1)",
        fractions: &[0.5, 1.0],
        alpha: 0.05,
        sides: Sides::Two,
        efficacy: Efficacy::Spending(Spending::HwangShihDeCani(1.0)),
        futility: None,
        critical: &[2.15549695616402, 2.2026965841651],
        spent: &[0.0311229665600927, 0.04999999],
    },
    Case {
        call: "kMax=3, alpha=0.05, sided=2, typeOfDesign='asOF', informationRates=c(0.3,0.7,1)",
        fractions: &[0.3, 0.7, 1.0],
        alpha: 0.05,
        sides: Sides::Two,
        efficacy: Efficacy::Spending(Spending::OBrienFleming),
        futility: None,
        critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
        spent: &[8.54515748893725e-05, 0.0147689786530385, 0.04999999],
    },
    Case {
        call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='WT', deltaWT=0, informationRates=c(1/3,2/3,1)",
        fractions: &[ONE_THIRD, TWO_THIRDS, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::WangTsiatis(0.0),
        futility: None,
        critical: &[3.47109144465409, 2.45443229863352, 2.00403557995285],
        spent: &[0.000259173723496486, 0.00716005940148268, 0.02499999],
    },
    Case {
        call: "kMax=3, alpha=0.05, sided=2, typeOfDesign='WT', deltaWT=0.5, informationRates=c(0.25,0.6,1)",
        fractions: &[0.25, 0.6, 1.0],
        alpha: 0.05,
        sides: Sides::Two,
        efficacy: Efficacy::WangTsiatis(0.5),
        futility: None,
        critical: &[2.30884902661265, 2.30884902661265, 2.30884902661265],
        spent: &[0.0209519603888593, 0.0372226734115195, 0.04999999],
    },
    Case {
        call: "kMax=3, alpha=0.025, sided=1, typeOfDesign='asOF', informationRates=c(0.3,0.7,1), futilityBounds=c(0,0.5), bindingFutility=TRUE",
        fractions: &[0.3, 0.7, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::OBrienFleming),
        futility: Some((&[0.0, 0.5], true)),
        critical: &[3.92857254262661, 2.43515435606241, 1.96624780446291],
        spent: &[4.27257874446862e-05, 0.00738448948444259, 0.025],
    },
    Case {
        call: "the same with bindingFutility=FALSE",
        fractions: &[0.3, 0.7, 1.0],
        alpha: 0.025,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::OBrienFleming),
        futility: Some((&[0.0, 0.5], false)),
        critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
        spent: &[4.27257874446862e-05, 0.00738448933253566, 0.02499999],
    },
    Case {
        call: "kMax=3, alpha=0.05, sided=1, typeOfDesign='asKD', gammaA=3, informationRates=c(0.4,0.75,1)",
        fractions: &[0.4, 0.75, 1.0],
        alpha: 0.05,
        sides: Sides::One,
        efficacy: Efficacy::Spending(Spending::KimDeMets(3.0)),
        futility: None,
        critical: &[2.7265513165044, 2.05871617048979, 1.70465198904276],
        spent: &[0.00319999999999998, 0.0210937500316155, 0.05],
    },
];

#[test]
fn boundaries_match_rpact() {
    for case in CASES {
        let b = boundaries(
            case.fractions,
            case.alpha,
            case.sides,
            case.efficacy.clone(),
            case.futility,
        )
        .unwrap();
        for (k, (&ours, &rpact)) in b.efficacy.iter().zip(case.critical).enumerate() {
            assert!(
                (ours - rpact).abs() < 1e-6,
                "{}: look {}: {ours} vs rpact {rpact}",
                case.call,
                k + 1
            );
        }
        for (k, (&ours, &rpact)) in b.alpha_spent.iter().zip(case.spent).enumerate() {
            assert!(
                (ours - rpact).abs() < 2e-8,
                "{}: look {} alpha spent: {ours} vs rpact {rpact}",
                case.call,
                k + 1
            );
        }
        // The futility bound of each interim look as given; none at the last look.
        let last = case.fractions.len() - 1;
        assert_eq!(b.futility_at(last), None, "{}", case.call);
        match case.futility {
            Some((bounds, _)) => {
                for (k, &f) in bounds.iter().enumerate() {
                    assert_eq!(b.futility_at(k), Some(f), "{}", case.call);
                }
            }
            None => assert!((0..last).all(|k| b.futility_at(k).is_none())),
        }
    }
}

/// rpact 3.3.4, `getDesignGroupSequential(..., sided=1, typeBetaSpending=...)` and
/// `getDesignCharacteristics(d)$shift`.
struct BetaCase {
    call: &'static str,
    fractions: &'static [f64],
    beta: f64,
    efficacy: Spending,
    futility: Spending,
    binding: bool,
    critical: &'static [f64],
    futility_bounds: &'static [f64],
    beta_spent: &'static [f64],
    power: &'static [f64],
    shift: f64,
}

const BETA_CASES: &[BetaCase] = &[
    BetaCase {
        call: "kMax=3, alpha=0.025, beta=0.2, typeOfDesign='asOF', typeBetaSpending='bsOF', informationRates=c(0.3,0.7,1), bindingFutility=FALSE",
        fractions: &[0.3, 0.7, 1.0],
        beta: 0.2,
        efficacy: Spending::OBrienFleming,
        futility: Spending::OBrienFleming,
        binding: false,
        critical: &[3.92857254262661, 2.43874237686396, 2.00000857561827],
        futility_bounds: &[-0.451297880765311, 1.29448792012408],
        beta_spent: &[0.0192949815161362, 0.125584855719798, 0.200000001876587],
        power: &[0.0104071027622893, 0.512295203402221, 0.799999999295014],
        shift: 8.71816108727226,
    },
    BetaCase {
        call: "the same with bindingFutility=TRUE",
        fractions: &[0.3, 0.7, 1.0],
        beta: 0.2,
        efficacy: Spending::OBrienFleming,
        futility: Spending::OBrienFleming,
        binding: true,
        critical: &[3.92857254262661, 2.43819620460272, 1.93093895167112],
        futility_bounds: &[-0.486304162160103, 1.24101409269497],
        beta_spent: &[0.0192949813875172, 0.125584856750359, 0.200000000409149],
        power: &[0.00947929919469581, 0.49125124716238, 0.799999998720312],
        shift: 8.34482342297074,
    },
    BetaCase {
        call: "kMax=2, alpha=0.025, beta=0.1, typeOfDesign='asP', typeBetaSpending='bsP', informationRates=c(0.5,1), bindingFutility=FALSE",
        fractions: &[0.5, 1.0],
        beta: 0.1,
        efficacy: Spending::Pocock,
        futility: Spending::Pocock,
        binding: false,
        critical: &[2.15699921834468, 2.20097697526217],
        futility_bounds: &[1.03133430375169],
        beta_spent: &[0.0620114511279885, 0.10000000087567],
        power: &[0.659991618463922, 0.899999999773025],
        shift: 13.2040384231754,
    },
    BetaCase {
        call: "kMax=4, alpha=0.025, beta=0.2, typeOfDesign='asKD', gammaA=3, typeBetaSpending='bsKD', gammaB=2, informationRates=c(0.25,0.5,0.75,1), bindingFutility=TRUE",
        fractions: &[0.25, 0.5, 0.75, 1.0],
        beta: 0.2,
        efficacy: Spending::KimDeMets(3.0),
        futility: Spending::KimDeMets(2.0),
        binding: true,
        critical: &[
            3.35935371793431,
            2.76038988679647,
            2.35801591724157,
            1.98127984255552,
        ],
        futility_bounds: &[-0.799718184915472, 0.3391511910595, 1.19975894829258],
        beta_spent: &[
            0.0125,
            0.0499999995694498,
            0.112500000381411,
            0.199999999902282,
        ],
        power: &[
            0.0275764863277473,
            0.238374086149892,
            0.56352870325811,
            0.800000001045962,
        ],
        shift: 8.31381726016734,
    },
    BetaCase {
        call: "kMax=3, alpha=0.025, beta=0.2, typeOfDesign='asHSD', gammaA=-4, typeBetaSpending='bsHSD', gammaB=-2, informationRates=c(1/3,2/3,1), bindingFutility=FALSE",
        fractions: &[ONE_THIRD, TWO_THIRDS, 1.0],
        beta: 0.2,
        efficacy: Spending::HwangShihDeCani(-4.0),
        futility: Spending::HwangShihDeCani(-2.0),
        binding: false,
        critical: &[3.01073948538569, 2.54653055220842, 1.99922635406256],
        futility_bounds: &[-0.213275815576314, 0.92695999564603],
        beta_spent: &[0.0296674196118985, 0.0874516632355701, 0.199999999761668],
        power: &[0.0903975070622722, 0.43448732670661, 0.799999999346321],
        shift: 8.3910491783792,
    },
];

#[test]
fn beta_spending_matches_rpact() {
    let close = |what: &str, ours: &[f64], rpact: &[f64], tol: f64, call: &str| {
        assert_eq!(ours.len(), rpact.len(), "{call}: {what}");
        for (k, (a, b)) in ours.iter().zip(rpact).enumerate() {
            assert!(
                (a - b).abs() < tol,
                "{call}: {what} at look {}: {a} vs rpact {b}",
                k + 1
            );
        }
    };
    for case in BETA_CASES {
        let d = beta_spending(
            case.fractions,
            0.025,
            case.efficacy.clone(),
            case.beta,
            case.futility.clone(),
            case.binding,
        )
        .unwrap();
        let b = &d.boundaries;
        close("efficacy", &b.efficacy, case.critical, 1e-6, case.call);
        close(
            "futility",
            b.futility.as_ref().unwrap(),
            case.futility_bounds,
            1e-6,
            case.call,
        );
        close(
            "beta spent",
            &d.beta_spent,
            case.beta_spent,
            1e-7,
            case.call,
        );
        close("power", &d.power, case.power, 1e-7, case.call);
        close(
            "shift",
            &[d.drift * d.drift],
            &[case.shift],
            1e-5,
            case.call,
        );
    }
}

/// rpact 3.3.4, `getDesignCharacteristics(getDesignGroupSequential(...))`.
#[test]
fn characteristics_match_rpact() {
    // kMax=3, alpha=0.025, beta=0.2, sided=1, typeOfDesign="asOF", informationRates=c(0.3,0.7,1)
    // [, futilityBounds=c(0,0.5), bindingFutility=FALSE]; kMax=3, alpha=0.05, beta=0.1,
    // sided=2, typeOfDesign="asP", informationRates=c(1/3,2/3,1).
    #[allow(clippy::type_complexity)]
    let cases: [(
        f64,
        Sides,
        f64,
        &[f64],
        Efficacy,
        Option<(&[f64], bool)>,
        [f64; 5],
        &[f64],
        &[f64],
    ); 3] = [
        (
            0.025,
            Sides::One,
            0.2,
            &[0.3, 0.7, 1.0],
            Efficacy::Spending(Spending::OBrienFleming),
            None,
            [
                7.96627880069332,
                1.01495742963553,
                0.868568171281365,
                0.982882620241825,
                1.01269159999989,
            ],
            &[0.00859431773293151, 0.460719653892982, 0.330686028374087],
            &[0.0, 0.0],
        ),
        (
            0.025,
            Sides::One,
            0.2,
            &[0.3, 0.7, 1.0],
            Efficacy::Spending(Spending::OBrienFleming),
            Some((&[0.0, 0.5], false)),
            [
                8.46964231830289,
                1.07908932293065,
                0.867749777778978,
                0.845823541981269,
                0.618708759665834,
            ],
            &[0.00978334615279497, 0.486228152546237, 0.303988501300978],
            &[0.0554660258800152, 0.0143563410203369],
        ),
        (
            0.05,
            Sides::Two,
            0.1,
            &[ONE_THIRD, TWO_THIRDS, 1.0],
            Efficacy::Spending(Spending::Pocock),
            None,
            [
                12.1278884579944,
                1.15422100995443,
                0.721150272946002,
                1.02875457861996,
                1.13082466278403,
            ],
            &[0.394042138361285, 0.337515984662194, 0.168441876979405],
            &[0.0, 0.0],
        ),
    ];
    for (
        alpha,
        sides,
        beta,
        fractions,
        efficacy,
        futility,
        [shift, inflation, h1, half, h0],
        rejection,
        futile,
    ) in cases
    {
        let b = boundaries(fractions, alpha, sides, efficacy, futility).unwrap();
        // rpact's default, twoSidedPower = FALSE.
        let c = characteristics(&b, alpha, sides, beta, true);
        let near =
            |a: f64, b: f64, what: &str| assert!((a - b).abs() < 1e-6, "{what}: {a} vs rpact {b}");
        near(c.drift * c.drift, shift, "shift");
        near(c.inflation, inflation, "inflation");
        near(c.expected_h1, h1, "expected under H1");
        near(c.expected_half, half, "expected under half the effect");
        near(c.expected_h0, h0, "expected under H0");
        // One rejection per look; one futility stop per interim look (none at the last).
        assert_eq!(c.rejection.len(), rejection.len());
        assert_eq!(c.futility.len(), rejection.len() - 1);
        for (a, b) in c.rejection.iter().zip(rejection) {
            near(*a, *b, "rejection");
        }
        for (a, b) in c.futility.iter().zip(futile) {
            near(*a, *b, "futility");
        }
    }
}

/// rpact 3.3.4, two-sided power counted in both directions or the benefit's only:
/// ```r
/// for (tsp in c(FALSE, TRUE)) {
///   d <- getDesignGroupSequential(kMax = 2, alpha = 0.05, sided = 2, beta = 0.6,
///                                 typeOfDesign = "OF", twoSidedPower = tsp)  # and the asP case
///   c <- getDesignCharacteristics(d)
///   print(c(c$shift, c$inflationFactor, c$averageSampleNumber1, c$averageSampleNumber01,
///           c$averageSampleNumber0), digits = 15); print(c$rejectionProbabilities, digits = 15)
/// }
/// ```
/// At power 0.4 the lower tail is large enough to move every value past 1e-6.
#[test]
fn characteristics_count_power_as_rpact_two_sided_power() {
    #[allow(clippy::type_complexity)]
    let cases: [(bool, f64, Efficacy, &[f64], [f64; 5], &[f64]); 4] = [
        (
            true,
            0.6,
            Efficacy::WangTsiatis(0.0),
            &[0.5, 1.0],
            [
                2.941838844758,
                1.01005914184708,
                0.981443147909752,
                1.002689871463,
                1.00745026699459,
            ],
            &[0.0566315702480578, 0.343368429751942],
        ),
        (
            false,
            0.6,
            Efficacy::WangTsiatis(0.0),
            &[0.5, 1.0],
            [
                2.94062332275558,
                1.01001880636425,
                0.981418341810487,
                1.00265204664038,
                1.007410035694,
            ],
            &[0.0566335287492551, 0.343366471250745],
        ),
        (
            false,
            0.1,
            Efficacy::Spending(Spending::Pocock),
            &[ONE_THIRD, TWO_THIRDS, 1.0],
            [
                12.1275210894493,
                1.15418644831711,
                0.721138536855091,
                1.02872714967979,
                1.13079080171971,
            ],
            &[0.394039353277286, 0.337513901364465, 0.168446745362342],
        ),
        (
            true,
            0.1,
            Efficacy::Spending(Spending::Pocock),
            &[ONE_THIRD, TWO_THIRDS, 1.0],
            [
                12.1278884579944,
                1.15422100995443,
                0.721150272946002,
                1.02875457861996,
                1.13082466278403,
            ],
            &[0.394042138361285, 0.337515984662194, 0.168441876979405],
        ),
    ];
    for (one_way, beta, efficacy, fractions, [shift, inflation, h1, half, h0], rejection) in cases {
        let b = boundaries(fractions, 0.05, Sides::Two, efficacy, None).unwrap();
        let c = characteristics(&b, 0.05, Sides::Two, beta, one_way);
        let near = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() < 1e-6,
                "{what} (one way {one_way}, beta {beta}): {a} vs rpact {b}"
            )
        };
        near(c.drift * c.drift, shift, "shift");
        near(c.inflation, inflation, "inflation");
        near(c.expected_h1, h1, "expected under H1");
        near(c.expected_half, half, "expected under half the effect");
        near(c.expected_h0, h0, "expected under H0");
        for (a, b) in c.rejection.iter().zip(rejection) {
            near(*a, *b, "rejection");
        }
    }
}

#[test]
fn one_look_is_the_fixed_design() {
    use statrs::distribution::{ContinuousCDF, Normal};
    let b = boundaries(
        &[1.0],
        0.025,
        Sides::One,
        Efficacy::Spending(Spending::OBrienFleming),
        None,
    )
    .unwrap();
    let z = Normal::standard().inverse_cdf(0.975);
    assert!((b.efficacy[0] - z).abs() < 1e-9, "{:?}", b.efficacy);
}

#[test]
fn bad_looks_and_futility_are_refused() {
    let of = Efficacy::Spending(Spending::OBrienFleming);
    for looks in [
        &[][..],
        &[0.5, 0.4, 1.0],
        &[0.5, 0.9],
        &[0.0, 1.0],
        &[0.5, 1.2],
    ] {
        assert!(
            boundaries(looks, 0.025, Sides::One, of.clone(), None).is_err(),
            "{looks:?}"
        );
    }
    assert!(
        boundaries(
            &[0.5, 1.0],
            0.05,
            Sides::Two,
            of.clone(),
            Some((&[0.0], false))
        )
        .is_err()
    );
    assert!(
        boundaries(
            &[0.5, 1.0],
            0.025,
            Sides::One,
            of.clone(),
            Some((&[0.0, 0.1], false))
        )
        .is_err()
    );
    // Beta spending: alpha and beta each in (0, 0.5).
    let bs = |alpha: f64, beta: f64| {
        let spending = Spending::OBrienFleming;
        beta_spending(&[0.5, 1.0], alpha, spending.clone(), beta, spending, false).err()
    };
    assert!(bs(0.025, 0.2).is_none());
    for (alpha, beta) in [
        (0.0, 0.2),
        (0.5, 0.2),
        (f64::NAN, 0.2),
        (0.025, 0.0),
        (0.025, 0.5),
        (0.025, f64::NAN),
    ] {
        let err = bs(alpha, beta).expect("refused");
        assert!(
            err.contains("alpha and beta in (0, 0.5)"),
            "{alpha} {beta}: {err}"
        );
    }
    for alpha in [0.0, 1.0, -0.1, f64::NAN] {
        let err = boundaries(&[0.5, 1.0], alpha, Sides::One, of.clone(), None).unwrap_err();
        assert!(err.contains("alpha in (0, 1)"), "{alpha}: {err}");
    }
}
