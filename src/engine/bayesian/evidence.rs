//! The posterior evidence at one adaptive analysis: each arm's Beta posterior from its counts,
//! and the probabilities the rules read, exact or from draws. Mirrors when adaptr draws: a
//! `refresh` is a call of its `fun_draws` over the active arms (exact mode: nothing to draw),
//! and every probability and estimate in between reads the same draws.

use rand::Rng;

use crate::model::bayesian::PosteriorMode;
use crate::stats::beta_posterior::{
    BetaPosterior, Bounded, Draws, Exact, Grid, SMALL, closed_form_better,
};

pub struct Evidence {
    mode: PosteriorMode,
    prior: (f64, f64),
    /// Probabilities are computed on 1 - p when lower is better (a reflected posterior).
    reflect: bool,
    /// Each arm's posterior from its counts at the last refresh, in the design's orientation.
    oriented: Vec<BetaPosterior>,
    /// Exact mode: the same with its tails, once a quadrature has needed them.
    bounded: Vec<Option<Bounded>>,
    chosen: Vec<Bounded>,
    /// Exact mode: the arms of the last refresh on one grid, for the difference `shift`
    /// (built at the first probability asked): P(best) of three arms or more, and the
    /// probabilities of differences of `shift`.
    grid: Grid,
    grid_ready: bool,
    grid_usable: bool,
    shift: f64,
    /// Draws mode: the draws of the arms in `columns` (arm indices), in that order.
    draws: Draws,
    columns: Vec<usize>,
    picked: Vec<BetaPosterior>,
    median_scratch: Vec<f64>,
    /// 0..arms: the draws' columns by position.
    positions: Vec<usize>,
}

impl Evidence {
    /// `shift`: the difference the grid's panels divide (0: none): the rule read most, the
    /// all-arms equivalence without a control, futility (else equivalence) with one.
    pub fn new(
        mode: PosteriorMode,
        prior: (f64, f64),
        reflect: bool,
        arms: usize,
        shift: f64,
    ) -> Evidence {
        Evidence {
            mode,
            prior,
            reflect,
            oriented: vec![BetaPosterior::new(1.0, 1.0); arms],
            bounded: vec![None; arms],
            chosen: Vec::with_capacity(arms),
            grid: Grid::default(),
            grid_ready: false,
            grid_usable: false,
            shift,
            draws: Draws::new(match mode {
                PosteriorMode::Exact => 0,
                PosteriorMode::Draws(n) => n,
            }),
            columns: Vec::with_capacity(arms),
            picked: Vec::with_capacity(arms),
            median_scratch: Vec::new(),
            positions: (0..arms).collect(),
        }
    }

    fn posterior(&self, n: u64, events: u64) -> BetaPosterior {
        let p = BetaPosterior::new(
            self.prior.0 + events as f64,
            self.prior.1 + (n - events) as f64,
        );
        if self.reflect { p.reflected() } else { p }
    }

    /// The posteriors of the `active` arms from their evaluable patients `n` and `events`
    /// (indexed by arm), and in draws mode fresh draws of them.
    pub fn refresh<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        active: &[usize],
        n: &[u64],
        events: &[u64],
    ) {
        for &a in active {
            let p = self.posterior(n[a], events[a]);
            if self.oriented[a] != p {
                self.oriented[a] = p;
                self.bounded[a] = None;
            }
        }
        self.columns.clear();
        self.columns.extend_from_slice(active);
        self.grid_ready = false;
        if let PosteriorMode::Draws(_) = self.mode {
            self.picked.clear();
            self.picked.extend(active.iter().map(|&a| self.oriented[a]));
            self.draws.draw(rng, &self.picked);
        }
    }

    fn column(&self, arm: usize) -> usize {
        self.columns
            .iter()
            .position(|&a| a == arm)
            .expect("the arm was drawn at the last refresh")
    }

    /// Arm `a`'s posterior with its tails (computed once per change of its counts).
    fn bounded(&mut self, a: usize) -> Bounded {
        *self.bounded[a].get_or_insert_with(|| Bounded::new(self.oriented[a]))
    }

    /// The arms of the last refresh, bounded, into `chosen`.
    fn choose_all(&mut self) {
        self.chosen.clear();
        for i in 0..self.columns.len() {
            let b = self.bounded(self.columns[i]);
            self.chosen.push(b);
        }
    }

    /// The grid of the arms of the last refresh, if their posteriors allow one (else the
    /// separate quadratures are used).
    fn grid(&mut self) -> Option<&Grid> {
        if !self.grid_ready {
            self.choose_all();
            self.grid_usable = self.grid.build(&self.chosen, self.shift);
            self.grid_ready = true;
        }
        self.grid_usable.then_some(&self.grid)
    }

    /// P(best) of each arm of the last refresh, in its order.
    pub fn probs_best(&mut self, out: &mut Vec<f64>) {
        match self.mode {
            // Two arms: the closed form (or one quadrature); more: the grid where it serves.
            PosteriorMode::Exact => {
                if self.columns.len() > 2
                    && let Some(g) = self.grid()
                {
                    g.probs_best(out);
                    for (i, p) in out.iter_mut().enumerate() {
                        if *p < SMALL {
                            *p = Exact::prob_best_of(&self.chosen, i);
                        }
                    }
                    return;
                }
                self.choose_all();
                Exact::probs_best(&self.chosen, out);
            }
            PosteriorMode::Draws(_) => {
                let all = &self.positions[..self.columns.len()];
                self.draws.probs_best(all, out);
            }
        }
    }

    /// The arms of the last refresh.
    pub fn arms(&self) -> &[usize] {
        &self.columns
    }

    pub fn better(&mut self, arm: usize, control: usize) -> f64 {
        match self.mode {
            PosteriorMode::Exact => {
                // The closed form needs no tails: look them up only for the quadrature.
                let (a, c) = (self.oriented[arm], self.oriented[control]);
                match closed_form_better(&a, &c) {
                    Some(p) => p,
                    None => {
                        let (a, c) = (self.bounded(arm), self.bounded(control));
                        Exact::prob_better(&a, &c)
                    }
                }
            }
            PosteriorMode::Draws(_) => self
                .draws
                .prob_better(self.column(arm), self.column(control)),
        }
    }

    pub fn equivalent(&mut self, arm: usize, control: usize, d: f64) -> f64 {
        match self.mode {
            PosteriorMode::Exact => {
                let (i, j) = (self.column(arm), self.column(control));
                if d == self.shift
                    && let Some(g) = self.grid()
                {
                    return g.close_to(i, j);
                }
                let (a, c) = (self.bounded(arm), self.bounded(control));
                Exact::prob_equivalent(&a, &c, d)
            }
            PosteriorMode::Draws(_) => {
                self.draws
                    .prob_equivalent(self.column(arm), self.column(control), d)
            }
        }
    }

    pub fn futile(&mut self, arm: usize, control: usize, d: f64) -> f64 {
        match self.mode {
            PosteriorMode::Exact => {
                let (i, j) = (self.column(arm), self.column(control));
                if d == self.shift
                    && let Some(g) = self.grid()
                {
                    return g.short_of(i, j);
                }
                let (a, c) = (self.bounded(arm), self.bounded(control));
                Exact::prob_futile(&a, &c, d)
            }
            PosteriorMode::Draws(_) => {
                self.draws
                    .prob_futile(self.column(arm), self.column(control), d)
            }
        }
    }

    /// P(max - min < d) over the arms of the last refresh.
    pub fn all_equivalent(&mut self, d: f64) -> f64 {
        match self.mode {
            PosteriorMode::Exact => {
                if d == self.shift
                    && let Some(g) = self.grid()
                {
                    return g.all_equivalent();
                }
                self.choose_all();
                Exact::prob_all_equivalent(&self.chosen, d)
            }
            PosteriorMode::Draws(_) => {
                let all = &self.positions[..self.columns.len()];
                self.draws.prob_all_equivalent(all, d)
            }
        }
    }

    /// The arm's estimate on the probability scale: its posterior median (adaptr's binary
    /// default, `robust = TRUE`), exact or of its draws.
    pub fn estimate(&mut self, arm: usize) -> f64 {
        let m = match self.mode {
            PosteriorMode::Exact => self.oriented[arm].median(),
            PosteriorMode::Draws(_) => {
                let c = self.column(arm);
                self.draws.median(c, &mut self.median_scratch)
            }
        };
        if self.reflect { 1.0 - m } else { m }
    }
}
