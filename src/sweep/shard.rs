//! Shards: a deterministic subset of a sweep's runs, so one sweep can run as
//! N independent jobs (a Kubernetes Indexed Job, a Slurm array) and be
//! merged into the file a single machine would have written.
//!
//! Shard `i` of `n` (0-based) owns the runs whose index is `i` modulo `n`:
//! round-robin, so every shard gets a similar mix of cheap and expensive
//! points. Without `--shard`, the shard comes from the environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `SCALESIM_SHARD` | `I/N`, as `--shard` (wins over the others) |
//! | `JOB_COMPLETION_INDEX` | the index of a Kubernetes Indexed Job's pod |
//! | `SLURM_ARRAY_TASK_ID` | the index of a Slurm array task (arrays start at 0) |
//! | `SCALESIM_SHARDS` | the shard count: the Job's `completions`, the array's size |

use std::fmt;

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// Which (0-based).
    pub index: usize,
    /// Of how many.
    pub count: usize,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The whole sweep.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (0 ≤ I < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("'{text}' is not a shard; write I/N with 0 ≤ I < N, e.g. 0/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard the environment names, if any (see the module docs).
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        if let Some(s) = get("SCALESIM_SHARD") {
            return Shard::parse(&s).map(Some).map_err(|e| format!("SCALESIM_SHARD: {e}"));
        }
        let number = |var: &str| -> Result<Option<usize>, String> {
            match get(var) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| format!("{var}='{v}' is not a whole number")),
            }
        };
        // The engine's index is the shard, so a retried pod or a resubmitted
        // Slurm index keeps its shard. The count never comes from Slurm: its
        // SLURM_ARRAY_TASK_COUNT and _MIN are those of one submission, so
        // `sbatch --array=2` alone would give task 0 of 1.
        let (index, source) = if let Some(i) = number("JOB_COMPLETION_INDEX")? {
            (i, "JOB_COMPLETION_INDEX")
        } else if let Some(i) = number("SLURM_ARRAY_TASK_ID")? {
            (i, "SLURM_ARRAY_TASK_ID")
        } else {
            return Ok(None);
        };
        let count = number("SCALESIM_SHARDS")?.ok_or_else(|| {
            format!(
                "{source} is set but SCALESIM_SHARDS is not: set it to the number of shards \
                 (the Job's completions, or the size of the Slurm array)"
            )
        })?;
        if count == 0 {
            return Err("SCALESIM_SHARDS is 0: set it to the number of shards, 1 or more".into());
        }
        if index >= count {
            return Err(format!(
                "{source} gives shard {index}, but SCALESIM_SHARDS is {count}: indices run from 0 to {}",
                count - 1
            ));
        }
        Ok(Some(Shard { index, count }))
    }

    /// Whether this is the whole sweep.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// How many of `total` runs this shard owns.
    pub fn len(&self, total: usize) -> usize {
        total.saturating_sub(self.index).div_ceil(self.count)
    }

    /// Whether the shard owns no run of `total`.
    pub fn is_empty(&self, total: usize) -> bool {
        self.len(total) == 0
    }

    /// The run index of this shard's `k`-th run.
    pub fn run(&self, k: usize) -> usize {
        self.index + k * self.count
    }

    /// Whether run `r` belongs to this shard.
    pub fn owns(&self, r: usize) -> bool {
        r % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Result<Option<Shard>, String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Shard::from_env(&move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn shards_parse_and_partition_the_runs() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("1-3").is_err());
        assert!(Shard::parse("0/0").is_err());
        let total = 10;
        let mut seen = Vec::new();
        for i in 0..3 {
            let s = Shard { index: i, count: 3 };
            let runs: Vec<usize> = (0..s.len(total)).map(|k| s.run(k)).collect();
            assert!(runs.iter().all(|r| s.owns(*r) && *r < total));
            seen.extend(runs);
        }
        seen.sort();
        assert_eq!(seen, (0..total).collect::<Vec<_>>());
        assert_eq!(Shard { index: 4, count: 5 }.len(3), 0);
    }

    #[test]
    fn the_environment_names_the_shard() {
        assert_eq!(env(&[]), Ok(None));
        assert_eq!(
            env(&[("JOB_COMPLETION_INDEX", "2"), ("SCALESIM_SHARDS", "4")]),
            Ok(Some(Shard { index: 2, count: 4 }))
        );
        assert!(env(&[("JOB_COMPLETION_INDEX", "2")]).unwrap_err().contains("SCALESIM_SHARDS"));
        assert!(env(&[("JOB_COMPLETION_INDEX", "4"), ("SCALESIM_SHARDS", "4")]).is_err());
        // `sbatch --array=2` alone, resubmitting one task of a 0-3 array.
        assert_eq!(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "1"),
                ("SCALESIM_SHARDS", "4")
            ]),
            Ok(Some(Shard { index: 2, count: 4 }))
        );
        let err = env(&[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_COUNT", "4")]).unwrap_err();
        assert!(err.contains("SLURM_ARRAY_TASK_ID is set but SCALESIM_SHARDS is not"), "{err}");
        let err = env(&[("SLURM_ARRAY_TASK_ID", "4"), ("SCALESIM_SHARDS", "4")]).unwrap_err();
        assert!(err.contains("indices run from 0 to 3"), "{err}");
        assert_eq!(
            env(&[("SCALESIM_SHARD", "1/2"), ("JOB_COMPLETION_INDEX", "0")]),
            Ok(Some(Shard { index: 1, count: 2 }))
        );
        assert!(env(&[("JOB_COMPLETION_INDEX", "x"), ("SCALESIM_SHARDS", "2")]).unwrap_err().contains("'x'"));
    }
}
