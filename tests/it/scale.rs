//! Scale up or scale out: instance types and their prices, resizes and
//! their costs, the type ceiling, read replicas, shards.

use std::sync::Arc;

use scalesim::scenario::Scenario;

use crate::support::{from_text, run};

/// A fleet and a data tier of named types, held fixed for a known time.
fn priced(duration: &str) -> Arc<Scenario> {
    from_text(&format!(
        r#"
duration = "{duration}"
[traffic]
shape = {{ kind = "constant", rps = 20 }}
[fleet]
types = "../models/instance-types/m6i.toml"
type = "m6i.xlarge"
initial = 4
service = "5ms"
[database]
types = "../models/instance-types/rds-r6g.toml"
type = "db.r6g.xlarge"
[replicas]
count = 2
type = "db.r6g.large"
[pooler]
[cache]
"#
    ))
}

/// The hand calculation, per hour: 4 × m6i.xlarge at $0.192 = $0.768; one
/// db.r6g.xlarge primary, $0.449; two db.r6g.large replicas at $0.225 =
/// $0.450; the pooler's m6i.large, $0.096; the cache's cache.r6g.large,
/// $0.206. In all $1.969 an hour: $0.9845 for 30 minutes.
#[test]
fn costs_match_a_hand_calculation_for_a_fixed_fleet() {
    let out = run(&priced("30m"), 1);
    let c = out.summary.unwrap().cost;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert_eq!(c.currency, "USD");
    assert!(close(c.app, 0.768 / 2.0), "app {}", c.app);
    assert!(close(c.database, 0.449 / 2.0), "database {}", c.database);
    assert!(close(c.read_replicas, 0.450 / 2.0), "replicas {}", c.read_replicas);
    assert!(close(c.pooler, 0.096 / 2.0), "pooler {}", c.pooler);
    assert!(close(c.cache, 0.206 / 2.0), "cache {}", c.cache);
    assert!(close(c.total, 1.969 / 2.0), "total {}", c.total);
    assert!(close(c.replica_hours, 2.0), "4 instances × 0.5 h: {}", c.replica_hours);
    assert!(close(c.mean_per_hour, 1.969) && close(c.peak_per_hour, 1.969));
    for row in &out.ticks {
        assert!(close(row.cost_per_hour, 1.969), "t = {}: {}", row.t_s, row.cost_per_hour);
        assert_eq!(row.app_cores, 16);
    }
}
