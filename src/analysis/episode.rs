//! An episode: a stretch of ticks over which a detector's signature holds,
//! tolerating short interruptions, confirmed once it has held long enough.

use crate::output::summary::Finding;

/// The extent of an episode.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Span {
    /// When the signature first held, seconds.
    pub(super) start: f64,
    /// When it last held.
    pub(super) end: f64,
    /// Seconds it held in all.
    pub(super) held: f64,
}

/// What a tick did to the episode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Step {
    /// Nothing to report.
    Quiet,
    /// The signature has now held for the sustain time: report it.
    Confirmed(Span),
    /// A confirmed episode ended.
    Ended(Span),
}

/// Routes a step's finding: a confirmed episode is logged now, an ended one
/// goes to the summary.
pub(super) fn report(
    step: Step,
    finding: impl FnOnce(Span) -> Finding,
    confirmed: &mut Vec<Finding>,
    done: &mut Vec<Finding>,
) {
    match step {
        Step::Confirmed(span) => confirmed.push(finding(span)),
        Step::Ended(span) => done.push(finding(span)),
        Step::Quiet => {}
    }
}

/// Tracks one episode at a time.
#[derive(Clone, Debug, Default)]
pub(super) struct Episode {
    span: Option<Span>,
    confirmed: bool,
}

impl Episode {
    /// Feeds one tick starting at `t`, `dt` long: `on` whether the signature
    /// holds. An episode survives gaps up to `grace` seconds.
    pub(super) fn step(&mut self, t: f64, dt: f64, on: bool, sustain: f64, grace: f64) -> Step {
        if on {
            let span = self.span.get_or_insert(Span { start: t, end: t, held: 0.0 });
            span.end = t + dt;
            span.held += dt;
            if !self.confirmed && span.held >= sustain {
                self.confirmed = true;
                return Step::Confirmed(*span);
            }
            return Step::Quiet;
        }
        match self.span {
            Some(span) if t - span.end >= grace => {
                let was = self.confirmed;
                *self = Episode::default();
                if was { Step::Ended(span) } else { Step::Quiet }
            }
            _ => Step::Quiet,
        }
    }

    /// Whether an episode is open (confirmed or not).
    pub(super) fn is_open(&self) -> bool {
        self.span.is_some()
    }

    /// Ends the episode at the end of the run; its span if it was confirmed.
    pub(super) fn close(&mut self) -> Option<Span> {
        let span = self.span.filter(|_| self.confirmed);
        *self = Episode::default();
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episodes_confirm_after_sustain_and_end_after_grace() {
        let mut e = Episode::default();
        let steps: Vec<Step> = [true, true, true, false, true, false, false, false]
            .iter()
            .enumerate()
            .map(|(i, on)| e.step(i as f64, 1.0, *on, 3.0, 2.0))
            .collect();
        assert_eq!(steps[2], Step::Confirmed(Span { start: 0.0, end: 3.0, held: 3.0 }));
        assert_eq!(steps[3], Step::Quiet, "a one-tick gap is tolerated");
        assert_eq!(steps[7], Step::Ended(Span { start: 0.0, end: 5.0, held: 4.0 }));
        assert!(!e.is_open());
        // Too short to confirm: ends silently.
        let mut e = Episode::default();
        e.step(0.0, 1.0, true, 3.0, 1.0);
        assert_eq!(e.step(5.0, 1.0, false, 3.0, 1.0), Step::Quiet);
        assert_eq!(e.close(), None);
    }
}
