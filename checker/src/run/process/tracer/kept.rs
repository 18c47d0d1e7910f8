//! The timeline a traced run keeps, bounded whatever the program does: a run of the same
//! call (a loop polling `IPC_STAT`) is folded into one event with a count, and past
//! [`KEPT_FIRST`] events only the last [`KEPT_LAST`] are kept, the ones between counted in
//! one [`Call::Omitted`] marker.

use std::collections::VecDeque;

use crate::model::timeline::{Call, Effect, TraceEvent, KEPT_FIRST, KEPT_LAST};

/// The events of a run, as they come.
#[derive(Debug, Default)]
pub(super) struct Kept {
    /// The first events, in order.
    head: Vec<TraceEvent>,
    /// The last events, once the head is full.
    tail: VecDeque<TraceEvent>,
    /// Events dropped between the head and the tail.
    omitted: u64,
    /// Events recorded so far (a folded one counts once): a position in the run.
    seq: usize,
    /// Where the result of an event no longer kept goes.
    gone: Option<TraceEvent>,
    /// Keep every event, folding none (`shmlab trace --full`).
    all: bool,
}

/// The event that stands for `count` events not kept.
fn marker(count: u64) -> TraceEvent {
    TraceEvent {
        pid: 0,
        call: Call::Omitted { count },
        ret: None,
        segment: None,
        segment_id: None,
        held: None,
        effect: Effect::Call { before: None },
        repeats: 0,
        held_cut: false,
    }
}

/// Whether `next` repeats `last`: the same process making the same `shmget` or `shmctl` with
/// the same result, leaving the segment as it was (and as `last` left it).
fn repeats(last: &TraceEvent, next: &TraceEvent) -> bool {
    matches!(next.call, Call::Shmget { .. } | Call::Shmctl { .. })
        && last.pid == next.pid
        && last.call == next.call
        && last.ret.is_some()
        && last.ret == next.ret
        && last.segment_id == next.segment_id
        && last.segment == next.segment
        && last.held.is_none()
        && next.held.is_none()
        && matches!(&next.effect, Effect::Call { before } if *before == next.segment)
}

impl Kept {
    /// An empty timeline; with `all`, one that keeps every event as it came.
    pub(super) fn new(all: bool) -> Kept {
        Kept {
            all,
            ..Kept::default()
        }
    }

    /// Whether the head is full: from now on, events go to the tail.
    fn is_full(&self) -> bool {
        !self.all && self.head.len() >= KEPT_FIRST
    }

    /// The last event kept, to fold the next into.
    fn last_mut(&mut self) -> Option<&mut TraceEvent> {
        match self.tail.back_mut() {
            Some(e) => Some(e),
            None => self.head.last_mut(),
        }
    }

    /// Records `event`, folded into the last one when it repeats it.
    pub(super) fn record(&mut self, event: TraceEvent) {
        let all = self.all;
        if let Some(last) = self.last_mut().filter(|_| !all) {
            if repeats(last, &event) {
                last.repeats += 1;
                return;
            }
        }
        self.record_at(event);
    }

    /// Records `event`, never folded (its result is filled in later, through [`Kept::at`]);
    /// returns its place in the run.
    pub(super) fn record_at(&mut self, event: TraceEvent) -> usize {
        let seq = self.seq;
        self.seq += 1;
        if !self.is_full() {
            self.head.push(event);
            return seq;
        }
        self.tail.push_back(event);
        if self.tail.len() > KEPT_LAST {
            self.tail.pop_front();
            self.omitted += 1;
        }
        seq
    }

    /// The event recorded at `seq` (from [`Kept::record_at`]); one no longer kept is
    /// answered with a stand-in, so that filling in its result changes nothing.
    pub(super) fn at(&mut self, seq: usize) -> &mut TraceEvent {
        if seq < self.head.len() {
            return &mut self.head[seq];
        }
        let first_in_tail = self.seq - self.tail.len();
        if seq >= first_in_tail && seq < self.seq {
            return &mut self.tail[seq - first_in_tail];
        }
        self.gone.insert(marker(0))
    }

    /// Where the run is: the number of events recorded so far, for [`Kept::into_events`] to
    /// turn into a place in the timeline.
    pub(super) fn position(&self) -> usize {
        self.seq
    }

    /// The timeline, and a function that turns a [`Kept::position`] into the number of its
    /// events before that point.
    pub(super) fn into_events(self) -> (Vec<TraceEvent>, impl Fn(usize) -> usize) {
        let (first, omitted) = (self.head.len(), self.omitted);
        let mut events = self.head;
        if omitted > 0 {
            events.push(marker(omitted));
        }
        events.extend(self.tail);
        let omitted = omitted as usize;
        let place = move |seq: usize| {
            if omitted == 0 || seq <= first {
                seq
            } else if seq <= first + omitted {
                first + 1
            } else {
                seq - omitted + 1
            }
        };
        (events, place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::timeline::Return;

    fn stat(pid: i32, ret: i64) -> TraceEvent {
        TraceEvent {
            pid,
            call: Call::Shmctl {
                id: 0,
                cmd: libc::IPC_STAT,
                buf: 0x1000,
                set: None,
            },
            ret: Some(Return::Value(ret)),
            segment: None,
            segment_id: Some(0),
            held: None,
            effect: Effect::Call { before: None },
            repeats: 0,
            held_cut: false,
        }
    }

    #[test]
    fn a_polling_loop_is_one_event_with_a_count() {
        let mut kept = Kept::default();
        for _ in 0..1_000_000 {
            kept.record(stat(7, 0));
        }
        kept.record(stat(8, 0));
        let (events, _) = kept.into_events();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].repeats, 999_999);
        assert!(events[0].call_line().ends_with("= 0 (x1000000 in a row)"));
        assert_eq!(events[1].repeats, 0);
    }

    #[test]
    fn a_result_filled_in_later_lands_on_its_event_or_nowhere() {
        let mut kept = Kept::default();
        let first = kept.record_at(stat(7, 0));
        for i in 1..(KEPT_FIRST + KEPT_LAST + 10) {
            kept.record(stat(7, i as i64));
        }
        let late = kept.record_at(stat(7, -5));
        kept.at(first).ret = Some(Return::Value(100));
        kept.at(late).ret = Some(Return::Value(200));
        // Dropped from the middle: goes nowhere.
        kept.at(KEPT_FIRST + 1).ret = Some(Return::Value(-300));
        let (events, _) = kept.into_events();
        assert_eq!(events[0].ret, Some(Return::Value(100)));
        assert_eq!(events.last().unwrap().ret, Some(Return::Value(200)));
        assert!(events.iter().all(|e| e.ret != Some(Return::Value(-300))));
    }

    #[test]
    fn all_keeps_every_event_as_it_came() {
        let mut kept = Kept::new(true);
        for i in 0..(KEPT_FIRST + KEPT_LAST + 10) {
            kept.record(stat(7, (i % 2) as i64));
            kept.record(stat(7, (i % 2) as i64));
        }
        let (events, _) = kept.into_events();
        assert_eq!(events.len(), 2 * (KEPT_FIRST + KEPT_LAST + 10));
        assert!(events.iter().all(|e| e.repeats == 0));
    }

    #[test]
    fn a_long_run_keeps_its_first_and_last_events_and_counts_the_rest() {
        let mut kept = Kept::default();
        let n = 100_000;
        for i in 0..n {
            // Each differs from the last: nothing folds.
            kept.record(stat(7, i as i64));
        }
        let (events, place) = kept.into_events();
        assert_eq!(events.len(), KEPT_FIRST + 1 + KEPT_LAST);
        assert_eq!(events[0].ret, Some(Return::Value(0)));
        assert_eq!(
            events[KEPT_FIRST].call,
            Call::Omitted {
                count: (n - KEPT_FIRST - KEPT_LAST) as u64
            }
        );
        assert_eq!(
            events.last().unwrap().ret,
            Some(Return::Value(n as i64 - 1))
        );
        assert_eq!(place(10), 10);
        assert_eq!(place(KEPT_FIRST + 5), KEPT_FIRST + 1);
        assert_eq!(place(n), events.len());
    }
}
