//! Bulk-synchronous rounds over one timely dataflow: every worker hands in the messages it
//! addresses to other workers, and gets back every message addressed to it once all
//! workers have finished the round.
//!
//! The partitioned load is a fixed sequence of such rounds (day counts, records to their
//! owners, requests and replies of each wave, rows to worker 0). A round is one timely epoch:
//! the messages of round `r` are sent at time `r`, the epoch is closed, and the worker steps
//! until the probe has passed it, so every message of the round has arrived. Every worker
//! must call [`Bsp::round`] the same number of times (with nothing to send if need be).

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use tierank_io::share::{EventRecord, FoldedDirection, FoldedTie, TieRecord};
use timely::dataflow::operators::{Exchange, Input, Inspect, Probe};
use timely::dataflow::{InputHandleVec, ProbeHandle};
use timely::worker::Worker;

use crate::rank::WireRow;

/// Everything the partitioned load sends between workers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Msg {
    /// Whether the sending worker (index) failed, and how: errors are agreed on by every
    /// worker so that all stop together and none waits for a round that never comes.
    Status(u32, Option<String>),
    /// Events of one UTC day: (day, count, earliest ms, latest ms).
    Days(i64, u64, i64, i64),
    /// A number to add up (all-reduce).
    Count(u64),
    /// A number to take the maximum of.
    Max(u64),
    /// A number to take the minimum of.
    Min(u64),
    /// `--strict`: an event (part, row) whose sender is known and not a friend of its
    /// receiver (the third field), for the receiver's owner to confirm that the receiver is
    /// known.
    NonFriend(u32, u64, i64),
    /// A row of `ties.parquet`.
    Tie(TieRecord),
    /// A row of `persons.parquet`: (row, person).
    Person(u64, i64),
    /// A row of an events part (to the owner of its sender only).
    Event(EventRecord),
    /// One direction of a friendship, folded by the owner of its sender, for the owner of
    /// its receiver.
    Direction(FoldedDirection),
    /// A sampling candidate: (key, person).
    Candidate(u64, i64),
    /// A chosen target: (position in the target list, person).
    Target(u32, i64),
    /// A request for the folded friendships of a person, from a worker.
    Request(i64, u32),
    /// A friendship with its weight and folded features (a wave's reply).
    Folded(FoldedTie),
    /// A request for the ball bytes of a person's folded friendships (what a wave's reply
    /// for them will add to the requester's ball), from a worker: the wave planner asks
    /// before it cuts the waves.
    SizeRequest(i64, u32),
    /// The ball bytes of a person's folded friendships (the reply to a `SizeRequest`).
    Size(i64, u64),
    /// A ranked row for worker 0.
    Row(WireRow),
    /// A partitioned `select`'s per-target pass for worker 0: (position in the target
    /// list, the pass).
    Pass(u32, Box<tierank_select::TargetPass>),
}

impl Msg {
    /// Bytes this message takes on the wire (bincode, fixed-width integers: a 4-byte variant
    /// tag, then the fields).
    pub fn wire_bytes(&self) -> u64 {
        4 + match self {
            Msg::Status(_, s) => 4 + 1 + s.as_ref().map_or(0, |s| 8 + s.len() as u64),
            Msg::Days(..) => 32,
            Msg::Count(_) | Msg::Max(_) | Msg::Min(_) => 8,
            Msg::NonFriend(..) => 20,
            Msg::Tie(_) => 32,
            Msg::Person(..) => 16,
            Msg::Event(_) => 45,
            Msg::Candidate(..) => 16,
            Msg::Target(..) => 12,
            Msg::Request(..) | Msg::SizeRequest(..) => 12,
            Msg::Size(..) => 16,
            Msg::Folded(t) => t.wire_bytes(),
            Msg::Direction(d) => d.wire_bytes(),
            Msg::Row(_) => crate::rank::WIRE_ROW_BYTES,
            Msg::Pass(_, p) => crate::select::pass_wire_bytes(p),
        }
    }
}

/// Bytes sent to other processes, per kind of message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Traffic {
    /// Tie records.
    pub ties: u64,
    /// Event records.
    pub events: u64,
    /// Person records, requests (of wave replies and of their sizes), sizes, day counts,
    /// targets, statuses.
    pub control: u64,
    /// Folded friendships (wave replies).
    pub folded: u64,
    /// Folded directions (after the fold, to the owners of their receivers).
    pub directions: u64,
    /// Ranked rows (a `select`'s per-target passes).
    pub rows: u64,
}

impl Traffic {
    /// Everything.
    pub fn total(&self) -> u64 {
        self.ties + self.events + self.folded + self.directions + self.control + self.rows
    }
}

/// Messages sent between two steps of the worker within a round.
const STEP_EVERY: u64 = 1 << 14;

/// What a round delivered to one worker: tie, event and folded-tie records apart (they are
/// most of the volume), the rest in arrival order.
#[derive(Debug, Default)]
pub struct Inbox {
    /// Tie records.
    pub ties: Vec<TieRecord>,
    /// Event records.
    pub events: Vec<EventRecord>,
    /// Folded friendships.
    pub folded: Vec<FoldedTie>,
    /// Folded directions.
    pub directions: Vec<FoldedDirection>,
    /// Every other message.
    pub other: Vec<Msg>,
}

/// What takes arriving events instead of the inbox ([`Bsp::set_event_sink`]).
pub type EventSink = Box<dyn FnMut(&EventRecord)>;

/// One worker's end of the rounds.
pub struct Bsp {
    input: InputHandleVec<u64, (u32, u64, Msg)>,
    probe: ProbeHandle<u64>,
    /// Per round: a fast worker's messages of the next round can arrive before this worker
    /// has finished the current one, so each message carries its round.
    inbox: Rc<RefCell<std::collections::BTreeMap<u64, Inbox>>>,
    /// Where arriving events go instead of the inbox, when set ([`Bsp::set_event_sink`]).
    event_sink: Rc<RefCell<Option<EventSink>>>,
    round: u64,
    sent: u64,
    workers_per_process: usize,
    process: usize,
    /// Bytes sent to workers of other processes.
    pub traffic: Traffic,
}

impl Bsp {
    /// Worker threads of each process (they share its memory).
    pub fn workers_per_process(&self) -> usize {
        self.workers_per_process
    }

    /// Builds the dataflow in `worker`.
    pub fn new(worker: &mut Worker, workers_per_process: usize) -> Self {
        let mut input: InputHandleVec<u64, (u32, u64, Msg)> = InputHandleVec::new();
        let inbox: Rc<RefCell<std::collections::BTreeMap<u64, Inbox>>> = Rc::default();
        let sink = Rc::clone(&inbox);
        let event_sink: Rc<RefCell<Option<EventSink>>> = Rc::default();
        let events_to = Rc::clone(&event_sink);
        let probe = worker.dataflow(|scope| {
            scope
                .input_from(&mut input)
                .exchange(|m: &(u32, u64, Msg)| u64::from(m.0))
                .inspect(move |m: &(u32, u64, Msg)| {
                    if let Msg::Event(e) = &m.2
                        && let Some(f) = events_to.borrow_mut().as_mut()
                    {
                        // Taken as it arrives: the record is not kept.
                        f(e);
                        return;
                    }
                    let mut inboxes = sink.borrow_mut();
                    let inbox = inboxes.entry(m.1).or_default();
                    match &m.2 {
                        Msg::Tie(t) => inbox.ties.push(*t),
                        Msg::Event(e) => inbox.events.push(*e),
                        Msg::Direction(d) => inbox.directions.push(d.clone()),
                        // `inspect` lends the message: the records (a few per tie) are
                        // copied once.
                        Msg::Folded(t) => inbox.folded.push(t.clone()),
                        other => inbox.other.push(other.clone()),
                    }
                })
                .probe()
                .0
        });
        Self {
            input,
            probe,
            inbox,
            event_sink,
            round: 0,
            sent: 0,
            workers_per_process,
            process: worker.index() / workers_per_process,
            traffic: Traffic::default(),
        }
    }

    /// Sends one message of the current round to worker `dest`.
    pub fn send(&mut self, worker: &mut Worker, dest: usize, msg: Msg) {
        if dest / self.workers_per_process != self.process {
            let bytes = msg.wire_bytes();
            match &msg {
                Msg::Tie(_) => self.traffic.ties += bytes,
                Msg::Event(_) => self.traffic.events += bytes,
                Msg::Folded(_) => self.traffic.folded += bytes,
                Msg::Direction(_) => self.traffic.directions += bytes,
                Msg::Row(_) | Msg::Pass(..) => self.traffic.rows += bytes,
                _ => self.traffic.control += bytes,
            }
        }
        self.input.send((
            u32::try_from(dest).expect("worker index fits u32"),
            self.round,
            msg,
        ));
        self.sent += 1;
        if self.sent.is_multiple_of(STEP_EVERY) {
            // Let the messages leave (and arrive) while the rest are produced, so that
            // neither side buffers the whole round.
            worker.step();
        }
    }

    /// Hands every event that arrives from now on to `sink` instead of the inbox (`None`:
    /// back to the inbox), so that a worker can hold each event in its own compact form
    /// and free the record at once. Events already in the inbox (a faster worker's, sent
    /// before this worker set its sink) go to `sink` first.
    pub fn set_event_sink(&mut self, mut sink: Option<EventSink>) {
        if let Some(f) = sink.as_mut() {
            for inbox in self.inbox.borrow_mut().values_mut() {
                for e in std::mem::take(&mut inbox.events) {
                    f(&e);
                }
            }
        }
        *self.event_sink.borrow_mut() = sink;
    }

    /// Ends the current round: returns every message addressed to this worker in it, once
    /// every worker has ended it.
    pub fn finish(&mut self, worker: &mut Worker) -> Inbox {
        let round = self.round;
        self.round += 1;
        self.input.advance_to(self.round);
        while self.probe.less_than(&self.round) {
            worker.step();
        }
        self.inbox.borrow_mut().remove(&round).unwrap_or_default()
    }

    /// Sends `messages` (destination worker, message) and returns every message addressed
    /// to this worker in this round (see [`Bsp::finish`]).
    pub fn round(
        &mut self,
        worker: &mut Worker,
        messages: impl IntoIterator<Item = (usize, Msg)>,
    ) -> Inbox {
        for (dest, msg) in messages {
            self.send(worker, dest, msg);
        }
        self.finish(worker)
    }

    /// Every worker learns every worker's `status`; all return the error of the lowest
    /// failing worker, or `Ok` when none failed.
    pub fn agree<T>(
        &mut self,
        worker: &mut Worker,
        status: Result<T, String>,
    ) -> Result<T, String> {
        let me = u32::try_from(worker.index()).expect("worker index fits u32");
        let peers = worker.peers();
        let mine = status.as_ref().err().cloned();
        let inbox = self.round(
            worker,
            (0..peers).map(|w| (w, Msg::Status(me, mine.clone()))),
        );
        let first = inbox
            .other
            .into_iter()
            .filter_map(|m| match m {
                Msg::Status(w, Some(e)) => Some((w, e)),
                _ => None,
            })
            .min_by_key(|(w, _)| *w);
        match first {
            Some((_, e)) => Err(e),
            None => status,
        }
    }

    /// The sum over all workers of `value`.
    pub fn sum(&mut self, worker: &mut Worker, value: u64) -> u64 {
        let peers = worker.peers();
        self.round(worker, (0..peers).map(|w| (w, Msg::Count(value))))
            .other
            .into_iter()
            .map(|m| match m {
                Msg::Count(c) => c,
                _ => 0,
            })
            .sum()
    }

    /// The minimum over all workers of `value`.
    pub fn min(&mut self, worker: &mut Worker, value: u64) -> u64 {
        let peers = worker.peers();
        self.round(worker, (0..peers).map(|w| (w, Msg::Min(value))))
            .other
            .into_iter()
            .filter_map(|m| match m {
                Msg::Min(c) => Some(c),
                _ => None,
            })
            .min()
            .unwrap_or(u64::MAX)
    }

    /// The maximum over all workers of `value`.
    pub fn max(&mut self, worker: &mut Worker, value: u64) -> u64 {
        let peers = worker.peers();
        self.round(worker, (0..peers).map(|w| (w, Msg::Max(value))))
            .other
            .into_iter()
            .map(|m| match m {
                Msg::Max(c) => c,
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
}
