//! How an attempt can fail: the error kinds of DESIGN.md §4, each a column
//! of `timeseries.csv` and a counter in `summary.json`.

/// Why an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// The client gave up waiting.
    Timeout,
    /// Nothing could take it: no routable instance, or a full accept queue.
    Rejected,
    /// Shed by surge protection at the balancer (rate limit, in-flight cap).
    Shed,
    /// No pool connection within `acquire_timeout`.
    PoolTimeout,
    /// The database refused a connection (`max_connections`).
    DbRefused,
    /// The database failed the query (outage).
    DbError,
    /// In flight on an instance that was terminated or crashed.
    Killed,
    /// A downstream dependency failed it (the `dependency_errors` fault).
    DependencyError,
}

impl ErrorKind {
    /// Every kind, in column order.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Timeout,
        ErrorKind::Rejected,
        ErrorKind::Shed,
        ErrorKind::PoolTimeout,
        ErrorKind::DbRefused,
        ErrorKind::DbError,
        ErrorKind::Killed,
        ErrorKind::DependencyError,
    ];

    /// Its name in files.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Shed => "shed",
            ErrorKind::PoolTimeout => "pool_timeout",
            ErrorKind::DbRefused => "db_refused",
            ErrorKind::DbError => "db_error",
            ErrorKind::Killed => "killed",
            ErrorKind::DependencyError => "dependency_error",
        }
    }

    /// Its index in [`ErrorKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
