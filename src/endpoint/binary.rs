//! One virtual trial at the level of sufficient statistics, never patient by patient.
//!
//! The draws are distributionally identical to enrolling patients one at a time:
//! - Screening: each screened patient is eligible with probability q independently, so the number
//!   of screen failures before the N-th eligible patient is negative binomial(N, q). Whom the
//!   randomised patients are does not depend on how many failures came between them, so this
//!   count is drawn on its own.
//! - Allocation: permuted blocks fix the counts of every complete block; the last, incomplete
//!   block is a draw without replacement from one block cycle. Simple randomisation is a
//!   multinomial draw over arms.
//! - Within an arm, randomised patients are i.i.d. over (diagnostic label, outcome): a multinomial
//!   over labels (conditional binomials), then binomial dropout, then binomial events with the
//!   exact per-label risk of that arm (the true endotype is marginalised out: it is not observed).
//!
//! A trial costs a fixed handful of draws whatever the sample size, and nothing is allocated per
//! trial: `TrialCounts` is reused.

use rand::{Rng, RngExt};

use crate::model::design::{Design, EndpointModel};
use crate::model::vocabulary::Randomisation;
use crate::stats::analysis::Table;
use crate::stats::sampling::{
    BinomialSampler, ScreeningSampler, chain_probabilities, multinomial, table_share,
};

/// Counts of one simulated trial, by arm and stratum (eligible label).
#[derive(Debug, Clone)]
pub struct TrialCounts {
    strata: usize,
    /// Patients randomised per arm.
    pub randomised: Vec<u64>,
    /// Evaluable patients, indexed `arm * strata + stratum`.
    pub evaluable: Vec<u64>,
    /// Events among the evaluable, indexed like `evaluable`.
    pub events: Vec<u64>,
    /// Patients screened to randomise the sample size.
    pub screened: u64,
    /// The incomplete permuted block (scratch).
    pub block: BlockState,
}

impl TrialCounts {
    pub fn new(design: &Design) -> TrialCounts {
        let cells = design.arms.len() * design.eligible.len();
        TrialCounts {
            strata: design.eligible.len(),
            randomised: vec![0; design.arms.len()],
            evaluable: vec![0; cells],
            events: vec![0; cells],
            screened: 0,
            block: BlockState::new(design.arms.len()),
        }
    }

    fn cells(&self, arm: usize) -> std::ops::Range<usize> {
        arm * self.strata..(arm + 1) * self.strata
    }

    /// Empties the counts for the next trial: no patients, no outcomes, a fresh block
    /// sequence (`screened` is set by whoever draws the screening).
    pub fn restart(&mut self) {
        self.evaluable.fill(0);
        self.events.fill(0);
        self.randomised.fill(0);
        self.block.restart();
    }

    /// Evaluable patients of an arm, over all strata.
    pub fn arm_evaluable(&self, arm: usize) -> u64 {
        self.evaluable[self.cells(arm)].iter().sum()
    }

    /// Events of an arm, over all strata.
    pub fn arm_events(&self, arm: usize) -> u64 {
        self.events[self.cells(arm)].iter().sum()
    }

    /// The pooled 2 x 2 table of `arm` against `control`.
    pub fn table(&self, arm: usize, control: usize) -> Table {
        Table::new(
            self.arm_events(arm),
            self.arm_evaluable(arm),
            self.arm_events(control),
            self.arm_evaluable(control),
        )
    }

    /// The 2 x 2 table of `arm` against `control` within stratum `s`.
    pub fn stratum_table(&self, arm: usize, control: usize, s: usize) -> Table {
        let (i, j) = (arm * self.strata + s, control * self.strata + s);
        Table::new(
            self.events[i],
            self.evaluable[i],
            self.events[j],
            self.evaluable[j],
        )
    }
}

/// Everything a trial needs from the design, precomputed once.
#[derive(Debug, Clone)]
pub struct Simulator {
    sample_size: u64,
    randomisation: Randomisation,
    ratios: Vec<u64>,
    /// The places of a permuted block: the ratios' sum (summed once: `next_arm` runs per
    /// patient).
    block_places: u64,
    arm_chain: Vec<BinomialSampler>,
    stratum_chain: Vec<BinomialSampler>,
    /// P(event | arm, stratum), indexed `arm * strata + stratum`.
    risk: Vec<BinomialSampler>,
    dropout: BinomialSampler,
    screening: ScreeningSampler,
}

impl Simulator {
    pub fn new(design: &Design) -> Simulator {
        Simulator::with_capacity(design, design.sample_size)
    }

    /// As `new`, its samplers' tables sized for counts up to `most` patients (a re-estimated
    /// trial may randomise more than the sample size).
    pub fn with_capacity(design: &Design, most: u64) -> Simulator {
        let ratios: Vec<u64> = design.arms.iter().map(|a| u64::from(a.ratio)).collect();
        let block = design.block_size() as f64;
        let arm_p: Vec<f64> = ratios.iter().map(|&r| r as f64 / block).collect();
        // Every count drawn is at most `most`.
        let n = most;
        // A continuous or ordinal endpoint draws outcomes itself (`endpoint::continuous`,
        // `endpoint::ordinal`): its means are not risks.
        let risk: Vec<f64> = match design.endpoint {
            EndpointModel::Continuous(_) | EndpointModel::Ordinal(_) => Vec::new(),
            EndpointModel::Binary | EndpointModel::TimeToEvent(_) => {
                design.stratum_mean.iter().flatten().copied().collect()
            }
        };
        // Arms and strata chains, a risk per arm and stratum, dropout.
        let share = table_share(ratios.len() + design.stratum_prob.len() + risk.len() + 1);
        let samplers = |p: &[f64]| {
            p.iter()
                .map(|&p| BinomialSampler::within(p, n, share))
                .collect()
        };
        Simulator {
            sample_size: design.sample_size,
            randomisation: design.randomisation,
            arm_chain: samplers(&chain_probabilities(&arm_p)),
            block_places: ratios.iter().sum(),
            ratios,
            stratum_chain: samplers(&chain_probabilities(&design.stratum_prob)),
            risk: samplers(&risk),
            dropout: BinomialSampler::within(design.dropout, n, share),
            screening: ScreeningSampler::new(design.sample_size, design.eligible_fraction),
        }
    }

    /// Simulates one trial into `out` (whose previous contents are overwritten).
    pub fn simulate<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut TrialCounts) {
        out.screened = self.sample_size + self.screen_failures(rng);
        out.block.restart();
        self.allocate(rng, self.sample_size, &mut out.block, &mut out.randomised);
        for a in 0..self.ratios.len() {
            let cells = out.cells(a);
            self.draw_arm(
                rng,
                a,
                out.randomised[a],
                &mut out.evaluable[cells.clone()],
                &mut out.events[cells],
            );
        }
    }

    /// The screen failures of a trial that randomises the sample size.
    pub fn screen_failures<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        self.screening.sample(rng)
    }

    /// The diagnostic labels of `n` randomised patients: a multinomial over the strata.
    pub fn draw_labels<R: Rng + ?Sized>(&self, rng: &mut R, n: u64, out: &mut [u64]) {
        multinomial(rng, n, &self.stratum_chain, out);
    }

    /// The outcomes of `n` patients randomised to arm `a`: their diagnostic labels (a
    /// multinomial), dropout and events per label, written to the arm's `evaluable` and `events`
    /// cells (one per stratum).
    #[inline]
    pub fn draw_arm<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        a: usize,
        n: u64,
        evaluable: &mut [u64],
        events: &mut [u64],
    ) {
        self.draw_labels(rng, n, evaluable);
        let strata = evaluable.len();
        for (s, (e, x)) in evaluable.iter_mut().zip(events.iter_mut()).enumerate() {
            *e -= self.dropout.sample(rng, *e);
            *x = self.risk[a * strata + s].sample(rng, *e);
        }
    }

    /// The evaluable patients among `n` randomised (binomial dropout).
    #[inline]
    pub fn evaluable_of<R: Rng + ?Sized>(&self, rng: &mut R, n: u64) -> u64 {
        n - self.dropout.sample(rng, n)
    }

    /// The evaluable patients and events among `n` patients of arm `a` with the label of
    /// stratum `s` (dropout, then events).
    pub fn draw_cell<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        a: usize,
        s: usize,
        n: u64,
    ) -> (u64, u64) {
        let strata = self.risk.len() / self.ratios.len();
        let evaluable = n - self.dropout.sample(rng, n);
        (evaluable, self.risk[a * strata + s].sample(rng, evaluable))
    }

    /// Randomises the next `m` patients of the trial, continuing the sequence of permuted blocks
    /// in `block` (simple randomisation: independent draws), into per-arm counts `out`.
    pub fn allocate<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        m: u64,
        block: &mut BlockState,
        out: &mut [u64],
    ) {
        match self.randomisation {
            Randomisation::Simple => multinomial(rng, m, &self.arm_chain, out),
            Randomisation::Block => {
                let size = self.block_places;
                out.fill(0);
                // The rest of the block the previous patients started.
                let first = m.min(block.places);
                block.draw(rng, first, out);
                let m = m - first;
                for (n, &r) in out.iter_mut().zip(&self.ratios) {
                    *n += m / size * r;
                }
                // A new block, of which only the first `rest` places are used (for now).
                let rest = m % size;
                if rest > 0 {
                    block.left.copy_from_slice(&self.ratios);
                    block.places = size;
                    block.draw(rng, rest, out);
                }
            }
        }
    }

    /// The arm of the next patient in order of randomisation: the next place of the permuted
    /// block in `block` (a new block once it is used up), or, under simple randomisation, an
    /// independent draw by the allocation ratios.
    pub fn next_arm<R: Rng + ?Sized>(&self, rng: &mut R, block: &mut BlockState) -> usize {
        let size = self.block_places;
        match self.randomisation {
            Randomisation::Simple => place_of(rng.random_range(0..size), &self.ratios),
            Randomisation::Block => {
                if block.places == 0 {
                    block.left.copy_from_slice(&self.ratios);
                    block.places = size;
                }
                if block.places == 1 {
                    // The block's last place: its arm is known without a draw.
                    block.places = 0;
                    let a = block
                        .left
                        .iter()
                        .position(|&c| c == 1)
                        .expect("one place left");
                    block.left[a] = 0;
                    return a;
                }
                if block.places.is_power_of_two() {
                    // A uniform place among 2^k from k random bits (1:1 blocks: one bit a
                    // block, where a draw of 64 bits would cost as much as a death time).
                    let k = block.places.trailing_zeros();
                    let u = block.bits(rng, k);
                    let a = place_of(u, &block.left);
                    block.left[a] -= 1;
                    block.places -= 1;
                    return a;
                }
                block.take(rng)
            }
        }
    }
}

/// The arm holding place `u` (0-based) when the arms hold `counts` places each, in order.
fn place_of(mut u: u64, counts: &[u64]) -> usize {
    counts
        .iter()
        .position(|&c| {
            if u < c {
                true
            } else {
                u -= c;
                false
            }
        })
        .expect("u < the places in all")
}

/// The places left in the current permuted block of a trial's randomisation sequence.
#[derive(Debug, Clone)]
pub struct BlockState {
    /// Places left per arm.
    left: Vec<u64>,
    /// Places left in all.
    places: u64,
    /// Random bits drawn and not yet used (`next_arm`), and how many.
    reservoir: u64,
    reservoir_bits: u32,
}

impl BlockState {
    pub fn new(arms: usize) -> BlockState {
        BlockState {
            left: vec![0; arms],
            places: 0,
            reservoir: 0,
            reservoir_bits: 0,
        }
    }

    /// A new trial: no block started, no random bits kept from the last trial's stream.
    pub fn restart(&mut self) {
        self.places = 0;
        self.reservoir_bits = 0;
    }

    /// `k` (1 to 63) uniform random bits as a number below 2^k, from a new 64-bit draw only
    /// when too few are kept.
    fn bits<R: Rng + ?Sized>(&mut self, rng: &mut R, k: u32) -> u64 {
        if self.reservoir_bits < k {
            self.reservoir = rng.next_u64();
            self.reservoir_bits = 64;
        }
        let u = self.reservoir & ((1 << k) - 1);
        self.reservoir >>= k;
        self.reservoir_bits -= k;
        u
    }

    /// Fills the next `k` places of the block, each a draw without replacement from the places
    /// left, adding the arms drawn to `out`.
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, k: u64, out: &mut [u64]) {
        for _ in 0..k {
            out[self.take(rng)] += 1;
        }
    }

    /// Fills the next place of the block (a draw without replacement from the places left)
    /// and returns its arm.
    fn take<R: Rng + ?Sized>(&mut self, rng: &mut R) -> usize {
        let a = place_of(rng.random_range(0..self.places), &self.left);
        self.left[a] -= 1;
        self.places -= 1;
        a
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::sampling::TABLE_BYTES;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    /// The reservoir spends every bit of a 64-bit draw before the next draw (1:1 blocks take a
    /// bit a place), lowest bits first: the stream, and so every shipped result, depends on it.
    #[test]
    fn random_bits_use_every_bit_of_a_draw_in_order() {
        let mut reference = ChaCha8Rng::seed_from_u64(8);
        let words = [reference.next_u64(), reference.next_u64()];
        for k in [1u32, 3, 8] {
            let mut rng = ChaCha8Rng::seed_from_u64(8);
            let mut block = BlockState::new(2);
            let mut bits = Vec::new();
            for _ in 0..(64 / k + 1) {
                let u = block.bits(&mut rng, k);
                assert!(u < 1 << k);
                bits.extend((0..k).map(|i| (u >> i) & 1));
            }
            // 64 / k draws of k bits from the first word, then its leftover bits are dropped
            // and the next draw starts the second word.
            let used = (64 / k * k) as usize;
            let first: Vec<u64> = (0..used).map(|i| (words[0] >> i) & 1).collect();
            let second: Vec<u64> = (0..k).map(|i| (words[1] >> i) & 1).collect();
            assert_eq!(bits[..used], first[..], "k {k}");
            assert_eq!(bits[used..], second[..], "k {k}");
        }
    }

    /// A thousand endotypes (a thousand strata, 2,000 risks) keep the tables within their
    /// bound (they took 3.6 MB per endotype, 2.1 GB here, before the bound).
    #[test]
    fn a_thousand_strata_share_the_tables_memory() {
        let mut text = String::from("name = \"many\"\n[simulation]\nreplicates = 1\nseed = 1\n");
        for i in 0..1000 {
            text +=
                &format!("[[endotype]]\nname = \"e{i}\"\nprevalence = 0.001\ncontrol_risk = 0.3\n");
        }
        text += "[enrollment]\nsample_size = 500\n[endpoint]\nevent = \"death\"\nbetter = \"lower\"\n\
                 [[arm]]\nname = \"a\"\nratio = 1\n[[arm]]\nname = \"b\"\nratio = 1\n\
                 [analysis]\ncontrol = \"a\"\ntest = \"chi_square\"\n";
        let design =
            crate::model::scenario::Scenario::from_text(std::path::Path::new("t.toml"), text)
                .unwrap()
                .design;
        let sim = Simulator::new(&design);
        let samplers = sim
            .arm_chain
            .iter()
            .chain(&sim.stratum_chain)
            .chain(&sim.risk)
            .chain([&sim.dropout]);
        let (count, bytes) = samplers.fold((0, 0), |(c, b), s| (c + 1, b + s.table_bytes()));
        assert_eq!(count, 2 + 1000 + 2000 + 1);
        // Each sampler may pass its share by one n's search table (16 bytes per outcome).
        assert!(bytes <= TABLE_BYTES + count * 16 * 64, "{bytes}");
        assert!(bytes > TABLE_BYTES / 4, "{bytes}: the share is used");
    }
}
