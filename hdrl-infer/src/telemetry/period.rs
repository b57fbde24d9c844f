//! Time cut into fixed periods (15-s steps, hours, days): how the clock moving forward closes
//! them, in bounded work however far it jumps.

/// Something that accumulates over one period and is summarised when the period ends.
pub(crate) trait Period {
    /// Length of one period, s.
    fn len_s(&self) -> f64;
    /// Index of the open period (`start / len`).
    fn index(&self) -> u64;
    /// The open period gets `dt` seconds with `in_flight` requests running.
    fn busy(&mut self, dt: f64, in_flight: u32);
    /// Close the open period (its index is [`Period::index`]), keep its summary and open
    /// period `next`.
    fn close(&mut self, next: u64);
    /// Closed periods worth keeping: older ones are never read, so a long silence closes at
    /// most this many (plus the open one).
    const KEEP: u64;
}

/// Move `p` from time `from` to `t` (`t ≥ from`, both in `p`'s open period or later) with
/// `in_flight` requests running throughout. At most `KEEP + 1` periods are closed.
pub(crate) fn advance<P: Period>(p: &mut P, from: f64, t: f64, in_flight: u32) {
    let len = p.len_s();
    let target = (t / len) as u64;
    let idx = p.index();
    if target <= idx {
        p.busy(t - from, in_flight);
        return;
    }
    // The rest of the open period, then every whole period in between (only the last KEEP
    // can still be read), then the start of the period `t` falls in.
    p.busy((idx + 1) as f64 * len - from, in_flight);
    let whole = target - idx - 1;
    let first = target - whole.min(P::KEEP);
    p.close(first);
    for k in first..target {
        p.busy(len, in_flight);
        p.close(k + 1);
    }
    p.busy(t - target as f64 * len, in_flight);
}
