//! The pairwise tournament that ranks contenders, as the Chameleon study
//! ranks autoscalers (Bauer, Herbst et al., "Chameleon: A Hybrid, Proactive
//! Auto-Scaling Mechanism on a Level-Playing Field", IEEE TPDS 2019, §6:
//! every pair meets on every metric) with Ilyushkin et al.'s fractional
//! ranks for ties ("An Experimental Performance Evaluation of Autoscaling
//! Policies for Complex Workflows", ICPE 2017).
//!
//! A *round* is one workload (scenario) at one seed: every contender ran it.
//! In each round, each pair of contenders meets on each [`METRICS`] entry:
//! the better value scores 1, a tie ½ each, the worse 0. Values are compared
//! as `runs.csv` writes them (the metric's decimals), so a difference below
//! the printed precision is a tie. A match where either value is missing
//! (a run the scorecard could not score) is not played. Points sum over
//! metrics and rounds; contenders rank by points, equal points sharing the
//! mean of the places they occupy (fractional ranking: two tied for first
//! are both 1.5).

/// Which value of a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// The smaller.
    Lower,
    /// The larger.
    Higher,
    /// The one nearest 0 (jitter: above 0 the autoscaler oscillates more
    /// than demand, below 0 it ignores changes of demand — both are worse).
    NearZero,
}

impl Better {
    /// As the tables write it.
    pub fn words(self) -> &'static str {
        match self {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::NearZero => "nearer 0",
        }
    }
}

/// A metric the contenders meet on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Its column in `runs.csv`.
    pub column: &'static str,
    /// Its short name in tables.
    pub label: &'static str,
    /// Which way is better.
    pub better: Better,
    /// The decimals `runs.csv` writes (values are compared at this precision).
    pub decimals: u32,
}

/// The metrics compared: the elasticity scorecard (`analysis::elasticity`),
/// the windowed SLO attainment and the cost in money.
pub const METRICS: [Metric; 8] = [
    Metric { column: "theta_u", label: "θ_U", better: Better::Lower, decimals: 6 },
    Metric { column: "theta_o", label: "θ_O", better: Better::Lower, decimals: 6 },
    Metric { column: "tau_u", label: "τ_U", better: Better::Lower, decimals: 6 },
    Metric { column: "tau_o", label: "τ_O", better: Better::Lower, decimals: 6 },
    Metric { column: "instability", label: "υ", better: Better::Lower, decimals: 6 },
    Metric { column: "jitter_per_min", label: "jitter", better: Better::NearZero, decimals: 6 },
    Metric { column: "slo_attainment", label: "attain", better: Better::Higher, decimals: 6 },
    Metric { column: "cost_total", label: "cost", better: Better::Lower, decimals: 4 },
];

/// One match's result for the first of the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Result {
    /// The first is better.
    Win,
    /// Equal at the written precision.
    Tie,
    /// The second is better.
    Loss,
}

/// `a` against `b` on `m`.
pub fn meet(m: &Metric, a: f64, b: f64) -> Result {
    // Whole units of the last written decimal: equal as printed is a tie.
    let scale = 10f64.powi(m.decimals as i32);
    let (qa, qb) = ((a * scale).round(), (b * scale).round());
    let (ka, kb) = match m.better {
        Better::Lower => (qa, qb),
        Better::Higher => (-qa, -qb),
        Better::NearZero => (qa.abs(), qb.abs()),
    };
    match ka.partial_cmp(&kb) {
        Some(std::cmp::Ordering::Less) => Result::Win,
        Some(std::cmp::Ordering::Greater) => Result::Loss,
        _ => Result::Tie,
    }
}

/// The values of one round: `values[contender][metric]`.
pub type Round = Vec<Vec<Option<f64>>>;

/// The tournament's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Standings {
    /// Contenders, in input order.
    pub names: Vec<String>,
    /// Points of each.
    pub points: Vec<f64>,
    /// Matches won, lost and tied by each.
    pub wins: Vec<u32>,
    /// See `wins`.
    pub losses: Vec<u32>,
    /// See `wins`.
    pub ties: Vec<u32>,
    /// `pair[i][j]`: the points `i` took off `j`.
    pub pair: Vec<Vec<f64>>,
    /// `by_metric[i][m]`: the points `i` took on metric `m`.
    pub by_metric: Vec<Vec<f64>>,
    /// Matches played between each pair (every metric, every round).
    pub played: Vec<Vec<u32>>,
    /// `means[i][m]`: the mean of `i`'s values on `m` over the rounds.
    pub means: Vec<Vec<Option<f64>>>,
    /// Fractional rank of each (1 is best).
    pub rank: Vec<f64>,
    /// Contenders from first to last (equal points: input order).
    pub order: Vec<usize>,
}

impl Standings {
    /// The contenders that took the most points on metric `m`, and those
    /// points.
    pub fn winners(&self, m: usize) -> (Vec<usize>, f64) {
        let best = self.by_metric.iter().map(|p| p[m]).fold(f64::NEG_INFINITY, f64::max);
        let who = self.order.iter().copied().filter(|&i| self.by_metric[i][m] == best).collect();
        (who, best)
    }
}

/// Plays every pair on every metric in every round.
pub fn play(names: &[String], rounds: &[Round]) -> Standings {
    let n = names.len();
    let k = METRICS.len();
    let mut s = Standings {
        names: names.to_vec(),
        points: vec![0.0; n],
        wins: vec![0; n],
        losses: vec![0; n],
        ties: vec![0; n],
        pair: vec![vec![0.0; n]; n],
        by_metric: vec![vec![0.0; k]; n],
        played: vec![vec![0; n]; n],
        means: vec![vec![None; k]; n],
        rank: vec![0.0; n],
        order: (0..n).collect(),
    };
    for round in rounds {
        for i in 0..n {
            for j in i + 1..n {
                for (m, metric) in METRICS.iter().enumerate() {
                    let (Some(a), Some(b)) = (round[i][m], round[j][m]) else { continue };
                    let (pi, pj) = match meet(metric, a, b) {
                        Result::Win => {
                            s.wins[i] += 1;
                            s.losses[j] += 1;
                            (1.0, 0.0)
                        }
                        Result::Loss => {
                            s.wins[j] += 1;
                            s.losses[i] += 1;
                            (0.0, 1.0)
                        }
                        Result::Tie => {
                            s.ties[i] += 1;
                            s.ties[j] += 1;
                            (0.5, 0.5)
                        }
                    };
                    s.pair[i][j] += pi;
                    s.pair[j][i] += pj;
                    s.by_metric[i][m] += pi;
                    s.by_metric[j][m] += pj;
                    s.played[i][j] += 1;
                    s.played[j][i] += 1;
                }
            }
        }
    }
    for i in 0..n {
        s.points[i] = s.by_metric[i].iter().sum();
        for m in 0..k {
            let vals: Vec<f64> = rounds.iter().filter_map(|r| r[i][m]).collect();
            s.means[i][m] = (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64);
        }
    }
    // Points are sums of halves, so equality is exact.
    s.order.sort_by(|&a, &b| s.points[b].total_cmp(&s.points[a]).then(a.cmp(&b)));
    let mut at = 0;
    while at < n {
        let mut end = at;
        while end + 1 < n && s.points[s.order[end + 1]] == s.points[s.order[at]] {
            end += 1;
        }
        // Places at+1 ..= end+1 share their mean.
        let r = (at + end) as f64 / 2.0 + 1.0;
        for &i in &s.order[at..=end] {
            s.rank[i] = r;
        }
        at = end + 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: usize = 0; // θ_U
    const J: usize = 5; // jitter
    const A: usize = 6; // attainment
    const C: usize = 7; // cost

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("p{i}")).collect()
    }

    /// A round where every contender has the same value on every metric,
    /// then `set` changes some.
    fn round(n: usize, set: &[(usize, usize, f64)]) -> Round {
        let mut r = vec![vec![Some(1.0); METRICS.len()]; n];
        for &(i, m, v) in set {
            r[i][m] = Some(v);
        }
        r
    }

    #[test]
    fn each_metric_has_its_direction() {
        let by = |col: &str| METRICS.iter().find(|m| m.column == col).expect("metric");
        for col in ["theta_u", "theta_o", "tau_u", "tau_o", "instability", "cost_total"] {
            assert_eq!(meet(by(col), 0.1, 0.2), Result::Win, "{col}: lower is better");
        }
        assert_eq!(meet(by("slo_attainment"), 0.99, 0.98), Result::Win, "attainment: higher is better");
        let j = by("jitter_per_min");
        assert_eq!(meet(j, -0.1, 0.3), Result::Win, "jitter: |−0.1| is nearer 0 than 0.3");
        assert_eq!(meet(j, 0.2, -0.5), Result::Win, "ignoring demand (−0.5) is worse than 0.2");
        assert_eq!(meet(j, -0.25, 0.25), Result::Tie, "as far above 0 as below");
    }

    #[test]
    fn values_equal_as_written_tie() {
        let cost = &METRICS[C];
        // cost_total is written with 4 decimals: 1.23451 and 1.23449 both print 1.2345.
        assert_eq!(meet(cost, 1.23451, 1.23449), Result::Tie);
        assert_eq!(meet(cost, 1.2344, 1.2345), Result::Win);
        assert_eq!(meet(&METRICS[U], 0.0000004, 0.0), Result::Tie, "below the 6th decimal");
    }

    #[test]
    fn points_wins_and_ties_add_up() {
        // Three contenders, one round. θ_U: p0 0.1 < p1 0.2 < p2 0.3;
        // attainment: p2 1.0 above p0 and p1 at 0.9; every other metric
        // ties (all 1.0).
        let r = round(3, &[(0, U, 0.1), (1, U, 0.2), (2, U, 0.3), (0, A, 0.9), (1, A, 0.9), (2, A, 1.0)]);
        let s = play(&names(3), &[r]);
        // Pair (p0, p1): θ_U win p0, attainment tie, 6 other ties → p0 1 + 7 × ½ = 4.5, p1 3.5.
        assert_eq!((s.pair[0][1], s.pair[1][0]), (4.5, 3.5));
        // Pair (p0, p2): θ_U p0, attainment p2, 6 ties → 4 each.
        assert_eq!((s.pair[0][2], s.pair[2][0]), (4.0, 4.0));
        // Pair (p1, p2): θ_U p1, attainment p2 → 4 each.
        assert_eq!((s.pair[1][2], s.pair[2][1]), (4.0, 4.0));
        assert_eq!(s.points, vec![8.5, 7.5, 8.0]);
        assert_eq!((s.wins[0], s.losses[0], s.ties[0]), (2, 1, 13));
        assert_eq!((s.wins[2], s.losses[2], s.ties[2]), (2, 2, 12));
        assert_eq!(s.played[0][1], 8);
        // Every match hands out exactly one point.
        let total: f64 = s.points.iter().sum();
        assert_eq!(total, 3.0 * 8.0);
        assert_eq!(s.order, vec![0, 2, 1]);
        assert_eq!(s.rank, vec![1.0, 3.0, 2.0]);
        assert_eq!(s.winners(U), (vec![0], 2.0));
        assert_eq!(s.winners(A), (vec![2], 2.0));
        assert_eq!(s.winners(J), (vec![0, 2, 1], 1.0), "a metric every pair tied: all win, in rank order");
    }

    #[test]
    fn equal_points_share_a_fractional_rank() {
        // p1 and p2 identical, both beaten by p0 on cost; p3 loses cost to all.
        let r = round(4, &[(0, C, 1.0), (1, C, 2.0), (2, C, 2.0), (3, C, 3.0)]);
        let s = play(&names(4), &[r]);
        assert_eq!(s.order, vec![0, 1, 2, 3]);
        assert_eq!(s.rank, vec![1.0, 2.5, 2.5, 4.0]);
        let all_tied = play(&names(3), &[round(3, &[])]);
        assert_eq!(all_tied.rank, vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn rounds_sum_and_missing_values_are_not_played() {
        // Round 1: p0 cheaper; round 2: p1 cheaper; round 3: p0 has no θ_U.
        let r1 = round(2, &[(1, C, 2.0)]);
        let r2 = round(2, &[(1, C, 0.5)]);
        let mut r3 = round(2, &[]);
        r3[0][U] = None;
        let s = play(&names(2), &[r1, r2, r3]);
        assert_eq!(s.played[0][1], 8 + 8 + 7);
        assert_eq!(s.points, vec![11.5, 11.5]);
        assert_eq!(s.means[0][C], Some(1.0));
        assert_eq!(s.means[1][C], Some((2.0 + 0.5 + 1.0) / 3.0));
        assert_eq!(s.means[0][U], Some(1.0), "the mean is over the rounds that have a value");
    }
}
