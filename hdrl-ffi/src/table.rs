//! `hdrl_table_*`: the trackers of many functions in one block of memory the caller provides —
//! a heap block for the threads of one process, or a shared mapping that several processes
//! (nginx workers, forked from one master) use at once. Each function's tracker has its own
//! lock, a spin lock in the block itself, so it works across processes; lookups take no lock.
//!
//! Layout (this library version only; the header records it and every call checks it):
//! a 128-byte header, `slots` index slots (a power of two ≥ 2 × capacity, open addressing on
//! the function id's FNV-1a hash), then `capacity` entries (a lock, the last measured rate and a
//! `Tracker`), handed out in order of first request.

use std::ffi::c_void;
use std::hint::spin_loop;
use std::mem::{MaybeUninit, align_of, size_of};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use hdrl_infer::{AppContext, CarbonObs, Tracker};

use crate::decision::hdrl_decision;
use crate::error::Error;
use crate::handle::{handle, input, out};
use crate::model::hdrl_model;
use crate::panic::ffi_boundary;
use crate::status::hdrl_status;
use crate::tracker::{carbon_given, carbon_or_default, end_request, hdrl_app, hdrl_carbon, layer_bits};

/// Longest function id a table keeps, bytes.
pub const HDRL_TABLE_MAX_ID: usize = 128;
/// Most functions one table holds.
pub const HDRL_TABLE_MAX_FUNCTIONS: usize = 1 << 24;
/// Alignment the table's memory needs, bytes.
pub const HDRL_TABLE_ALIGN: usize = 64;

const MAGIC: u64 = u64::from_le_bytes(*b"HDRLTAB1");

#[repr(C)]
struct Header {
    magic: u64,
    /// `Tracker::BYTES` of the library that laid the table out.
    tracker_bytes: u64,
    capacity: u64,
    slots: u64,
    used: AtomicU64,
    insert_lock: AtomicU32,
    step_s: f32,
    app: hdrl_app,
}
const HEADER_BYTES: usize = 128;
const _: () = assert!(size_of::<Header>() <= HEADER_BYTES);

#[repr(C)]
struct Slot {
    /// 1 once `id_len`, `id` and `entry` are written; never reset.
    ready: AtomicU32,
    id_len: u32,
    entry: u32,
    _pad: u32,
    id: [u8; HDRL_TABLE_MAX_ID],
}

#[repr(C)]
struct Entry {
    lock: AtomicU32,
    /// The request rate of the last closed step, read when a step closes.
    observed_rps: f32,
    tracker: MaybeUninit<Tracker>,
}

const fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// Byte offsets of the three parts and the total, for `functions` functions.
fn layout(functions: usize) -> Option<(usize, usize, usize)> {
    if functions == 0 || functions > HDRL_TABLE_MAX_FUNCTIONS {
        return None;
    }
    let slots = (2 * functions).next_power_of_two();
    let entries_at = round_up(HEADER_BYTES + slots * size_of::<Slot>(), align_of::<Entry>().max(8));
    Some((slots, entries_at, entries_at + functions * size_of::<Entry>()))
}

/// A held entry or insert lock; released when dropped (also while a panic unwinds).
struct Held<'a>(&'a AtomicU32);

fn lock(l: &AtomicU32) -> Held<'_> {
    let mut spins = 0u32;
    while l.compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
        if spins < 128 {
            spin_loop();
        } else {
            std::thread::yield_now();
        }
        spins = spins.saturating_add(1);
    }
    Held(l)
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

/// A checked view of a table's memory.
struct Table {
    base: *mut u8,
    capacity: usize,
    slots: usize,
    entries_at: usize,
}

impl Table {
    /// # Safety
    /// `mem` is NULL or valid for reads and writes of `len` bytes for the duration of the call,
    /// and was laid out by `hdrl_table_init` (checked as far as the header allows).
    unsafe fn open(mem: *mut c_void, len: usize) -> Result<Self, Error> {
        if mem.is_null() {
            return Err(Error::Null("table"));
        }
        if !(mem as usize).is_multiple_of(HDRL_TABLE_ALIGN) || len < HEADER_BYTES {
            return Err(Error::Invalid("the table memory is misaligned or shorter than a table header"));
        }
        // SAFETY: aligned and at least HEADER_BYTES long per the checks and the contract.
        let h = unsafe { &*mem.cast::<Header>() };
        if h.magic != MAGIC || h.tracker_bytes != Tracker::BYTES as u64 {
            return Err(Error::Invalid("the memory is not a table laid out by hdrl_table_init of this library"));
        }
        let capacity = usize::try_from(h.capacity).unwrap_or(0);
        match layout(capacity) {
            Some((slots, entries_at, total)) if slots as u64 == h.slots && total <= len => {
                Ok(Self { base: mem.cast(), capacity, slots, entries_at })
            }
            _ => Err(Error::Invalid("the table's header does not match its memory length")),
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: checked by `open`.
        unsafe { &*self.base.cast::<Header>() }
    }

    fn slot_ptr(&self, i: usize) -> *mut Slot {
        debug_assert!(i < self.slots);
        // SAFETY: i < slots; the slot array lies inside the checked length.
        unsafe { self.base.add(HEADER_BYTES + i * size_of::<Slot>()).cast::<Slot>() }
    }

    /// A slot's ready flag: the only field read while another thread or process may be
    /// writing the slot (the others are read only after it is 1, and never written again).
    fn ready(&self, i: usize) -> &AtomicU32 {
        // SAFETY: a reference to the atomic field alone, inside the checked length.
        unsafe { &*std::ptr::addr_of!((*self.slot_ptr(i)).ready) }
    }

    /// Whether ready slot `i` holds `id`, and its entry.
    fn holds(&self, i: usize, id: &[u8]) -> Option<usize> {
        let p = self.slot_ptr(i);
        // SAFETY: the slot is ready (acquired by the caller), so these fields are written and
        // never change again.
        let (len, entry, held) = unsafe { ((*p).id_len as usize, (*p).entry as usize, &*std::ptr::addr_of!((*p).id)) };
        (len == id.len() && held[..len] == *id).then_some(entry)
    }

    fn entry(&self, i: usize) -> *mut Entry {
        debug_assert!(i < self.capacity);
        // SAFETY: i < capacity; the entry array lies inside the checked length.
        unsafe { self.base.add(self.entries_at + i * size_of::<Entry>()).cast::<Entry>() }
    }

    /// The entry of a function, made on its first request; `None` when the table is full.
    fn entry_for(&self, id: &[u8]) -> Option<usize> {
        let h = id.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        let mask = self.slots - 1;
        for i in 0..self.slots {
            let at = (h as usize).wrapping_add(i) & mask;
            if self.ready(at).load(Ordering::Acquire) == 0 {
                break;
            }
            if let Some(e) = self.holds(at, id) {
                return Some(e);
            }
        }
        let hd = self.header();
        let _held = lock(&hd.insert_lock);
        for i in 0..self.slots {
            let at = (h as usize).wrapping_add(i) & mask;
            if self.ready(at).load(Ordering::Acquire) != 0 {
                if let Some(e) = self.holds(at, id) {
                    return Some(e);
                }
                continue;
            }
            let n = hd.used.load(Ordering::Relaxed) as usize;
            if n >= self.capacity {
                return None;
            }
            let tracker = Tracker::new(AppContext::from(&hd.app), hd.step_s).ok()?;
            // SAFETY: entry `n` is not handed out yet (no slot names it), so nothing else
            // reads or writes it; the insert lock keeps other inserters out.
            unsafe {
                self.entry(n).write(Entry {
                    lock: AtomicU32::new(0),
                    observed_rps: 0.0,
                    tracker: MaybeUninit::new(tracker),
                });
            }
            let p = self.slot_ptr(at);
            // SAFETY: the slot is not ready, so no one reads these fields yet, and only the
            // insert lock's holder writes an unready slot.
            unsafe {
                std::ptr::copy_nonoverlapping(id.as_ptr(), std::ptr::addr_of_mut!((*p).id).cast::<u8>(), id.len());
                (*p).id_len = id.len() as u32;
                (*p).entry = n as u32;
            }
            hd.used.store(n as u64 + 1, Ordering::Release);
            self.ready(at).store(1, Ordering::Release);
            return Some(n);
        }
        None
    }

    /// Run `f` on entry `i` under its lock.
    fn with_entry<R>(&self, i: usize, f: impl FnOnce(&mut Tracker, &mut f32) -> R) -> Result<R, Error> {
        if i >= self.header().used.load(Ordering::Acquire) as usize {
            return Err(Error::Invalid("no function holds this table entry"));
        }
        let e = self.entry(i);
        // SAFETY: entry i was written before `used` passed it (release/acquire on the slot).
        let l = unsafe { &(*e).lock };
        let _held = lock(l);
        // SAFETY: the entry lock gives this call the only access to the tracker and rate.
        let (tracker, rate) = unsafe { ((*e).tracker.assume_init_mut(), &mut (*e).observed_rps) };
        Ok(f(tracker, rate))
    }
}

/// Bytes a table for `functions` functions needs (0 for 0 or more than
/// `HDRL_TABLE_MAX_FUNCTIONS`): a header, 2 × functions index slots of 144 bytes (rounded up
/// to a power of two) and one entry per function (a tracker, `HDRL_TRACKER_BYTES`, and 8).
#[unsafe(no_mangle)]
pub extern "C" fn hdrl_table_bytes(functions: usize) -> usize {
    layout(functions).map_or(0, |(_, _, total)| total)
}

/// Lay out a table for up to `functions` functions in `mem` (`len` ≥ `hdrl_table_bytes`,
/// aligned to `HDRL_TABLE_ALIGN`); every function tracked in it starts with the facts `app` and
/// steps of `step_s` seconds (see `hdrl_tracker_new`).
///
/// The memory may be a heap block or a shared mapping (`mmap(MAP_SHARED | MAP_ANONYMOUS)`
/// before `fork`): the table holds no pointer, and all its locks live inside it, so the
/// processes sharing the mapping share the functions. Call it once, before any other call on
/// the table; there is nothing to free beyond the memory itself.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PARAMETER` for 0 or too many
/// functions, a short or misaligned block; `HDRL_STATUS_BAD_EVENT` for a bad `step_s`.
///
/// # Safety
/// `mem` NULL or valid for writes of `len` bytes, not used by anyone else during the call;
/// `app` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_table_init(
    mem: *mut c_void,
    len: usize,
    functions: usize,
    app: *const hdrl_app,
    step_s: f32,
) -> hdrl_status {
    ffi_boundary! {
        let app = input!(app);
        if mem.is_null() {
            return Err(Error::Null("mem"));
        }
        let (slots, entries_at, total) =
            layout(functions).ok_or(Error::Invalid("functions must be 1 … HDRL_TABLE_MAX_FUNCTIONS"))?;
        if !(mem as usize).is_multiple_of(HDRL_TABLE_ALIGN) || len < total {
            return Err(Error::Invalid("the table memory is misaligned or shorter than hdrl_table_bytes(functions)"));
        }
        // Refuse a step length the trackers would refuse, before anything is written.
        Tracker::new(AppContext::from(app), step_s)?;
        // SAFETY: `mem` is valid for `len` ≥ total bytes and aligned (checked above).
        unsafe {
            mem.cast::<u8>().write_bytes(0, entries_at);
            mem.cast::<Header>().write(Header {
                magic: MAGIC,
                tracker_bytes: Tracker::BYTES as u64,
                capacity: functions as u64,
                slots: slots as u64,
                used: AtomicU64::new(0),
                insert_lock: AtomicU32::new(0),
                step_s,
                app: *app,
            });
        }
        Ok(())
    }
}

/// What `hdrl_table_start` answers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hdrl_table_answer {
    /// The function's current decision (cached, or refreshed by this call).
    pub decision: hdrl_decision,
    /// The function's entry: pass it to `hdrl_table_end` when the request ends.
    pub entry: u32,
    /// `HDRL_LAYER_*` bits of the layers this call ran (0: the cached decision).
    pub layers: u32,
    /// The function's request rate over the last closed step, as measured, requests/s.
    pub observed_rps: f32,
}

/// A request of function `id` (`id_len` bytes, 1 … `HDRL_TABLE_MAX_ID`) starts at `now_s`:
/// find (or, on its first request, make) the function's tracker, refresh its decision at the
/// layers' cadence (see `hdrl_tracker_refresh`; `carbon` NULL = the bundle's typical day),
/// answer it, and record
/// the start. Holds the function's lock only during the call; other functions never wait.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PARAMETER` (not a table, bad id
/// length); `HDRL_STATUS_TABLE_FULL` when the table already tracks its capacity of functions
/// (nothing is recorded: the function is untracked, give it a default decision);
/// `HDRL_STATUS_BAD_EVENT` for a bad clock; model errors as `hdrl_tracker_refresh` (the start
/// is still recorded). `*out` is written only on success.
///
/// Thread and process safety: any number of threads and processes sharing the table.
///
/// # Safety
/// `model` NULL or live; `table` NULL or a live table of `table_len` bytes; `id` NULL or valid
/// for `id_len` bytes; `carbon` NULL or valid; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn hdrl_table_start(
    model: *const hdrl_model,
    table: *mut c_void,
    table_len: usize,
    id: *const u8,
    id_len: usize,
    now_s: f64,
    carbon: *const hdrl_carbon,
    out: *mut hdrl_table_answer,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        // SAFETY: the contract of this function.
        let t = unsafe { Table::open(table, table_len) }?;
        if id.is_null() {
            return Err(Error::Null("id"));
        }
        if id_len == 0 || id_len > HDRL_TABLE_MAX_ID {
            return Err(Error::Invalid("a function id must be 1 … HDRL_TABLE_MAX_ID bytes"));
        }
        // SAFETY: non-NULL and valid for id_len bytes per the contract.
        let id = unsafe { std::slice::from_raw_parts(id, id_len) };
        // SAFETY: the contract of this function.
        let given = unsafe { carbon_given(carbon) }?;
        let out = out!(out);
        let entry = t.entry_for(id).ok_or(Error::Unrecorded(hdrl_status::TableFull))?;
        let answer = t.with_entry(entry, |tr, rate| -> Result<hdrl_table_answer, Error> {
            let refreshed = model.refresh_with(tr, now_s, |t| carbon_or_default(Some(model), given, t));
            let started = tr.start(now_s);
            let r = refreshed?;
            started?;
            if r.operational {
                // The step's rate does not depend on carbon.
                *rate = tr.observation(now_s, &CarbonObs::default())?.step.request_rate;
            }
            let d = tr.decision().ok_or(Error::Unrecorded(hdrl_status::NoDecision))?;
            Ok(hdrl_table_answer {
                decision: hdrl_decision::from(d),
                entry: entry as u32,
                layers: layer_bits(r),
                observed_rps: *rate,
            })
        })??;
        out.write(answer);
        Ok(())
    }
}

/// The request that `hdrl_table_start` answered with `entry` ended at `now_s` (see
/// `hdrl_tracker_end` for the other arguments: `HDRL_COST_FROM_BUNDLE` has `model` price it).
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PARAMETER` (not a table, an entry no
/// function holds); `HDRL_STATUS_BAD_EVENT` as `hdrl_tracker_end`.
///
/// # Safety
/// `model` NULL or live; `table` NULL or a live table of `table_len` bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn hdrl_table_end(
    model: *const hdrl_model,
    table: *mut c_void,
    table_len: usize,
    entry: u32,
    now_s: f64,
    latency_ms: f32,
    cold: bool,
    cost_usd: f32,
) -> hdrl_status {
    ffi_boundary! {
        // SAFETY: the contract of this function.
        let t = unsafe { Table::open(table, table_len) }?;
        // SAFETY: the contract of this function.
        t.with_entry(entry as usize, |tr, _| unsafe { end_request(model, tr, now_s, latency_ms, cold, cost_usd) })??;
        Ok(())
    }
}

/// Functions the table tracks (each made on its first request), 0 … its capacity.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`, `HDRL_STATUS_INVALID_PARAMETER` (not a table).
///
/// # Safety
/// `table` NULL or a live table of `table_len` bytes; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_table_functions(table: *mut c_void, table_len: usize, out: *mut usize) -> hdrl_status {
    ffi_boundary! {
        // SAFETY: the contract of this function.
        let t = unsafe { Table::open(table, table_len) }?;
        let out = out!(out);
        out.write(t.header().used.load(Ordering::Acquire) as usize);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::{Layout, alloc_zeroed, dealloc};
    use std::ptr;

    use hdrl_infer::{Quant, fixtures};

    use super::*;
    use crate::model::{hdrl_model_free, hdrl_model_load};
    use crate::tracker::HDRL_COST_FROM_BUNDLE;

    /// A heap block aligned as a table needs.
    struct Block(*mut u8, Layout);

    impl Block {
        fn new(len: usize) -> Self {
            let l = Layout::from_size_align(len.max(1), HDRL_TABLE_ALIGN).unwrap();
            // SAFETY: a non-zero size.
            Self(unsafe { alloc_zeroed(l) }, l)
        }
    }

    impl Drop for Block {
        fn drop(&mut self) {
            // SAFETY: allocated with this layout.
            unsafe { dealloc(self.0, self.1) }
        }
    }

    fn app() -> hdrl_app {
        hdrl_app { mean_duration_ms: 100.0, memory_need_mb: 256.0, home_region: 0, sla_ms: 1000.0, cpu_share: 0.5 }
    }

    #[test]
    fn functions_get_trackers_until_the_table_is_full_and_threads_share_them() {
        let bytes = fixtures::seeded_bundle(4, Quant::I8);
        let mut m = ptr::null_mut();
        // SAFETY: a live slice and out-pointer.
        assert_eq!(unsafe { hdrl_model_load(bytes.as_ptr(), bytes.len(), &mut m) }, hdrl_status::Ok);
        let len = hdrl_table_bytes(3);
        assert!(len > 3 * Tracker::BYTES && hdrl_table_bytes(0) == 0);
        let b = Block::new(len);
        let mem = b.0.cast::<c_void>();
        // SAFETY: every pointer below is live for the call; the block is `len` bytes.
        unsafe {
            assert_eq!(hdrl_table_init(mem, len - 1, 3, &app(), 1.0), hdrl_status::InvalidParameter);
            assert_eq!(hdrl_table_init(mem, len, 3, &app(), 7.0), hdrl_status::BadEvent);
            assert_eq!(hdrl_table_init(mem, len, 3, &app(), 1.0), hdrl_status::Ok);
            let mut a = MaybeUninit::<hdrl_table_answer>::uninit();
            let start = |id: &str, t: f64, a: *mut hdrl_table_answer| {
                hdrl_table_start(m, mem, len, id.as_ptr(), id.len(), t, ptr::null(), a)
            };
            // Four threads, one function each, for a table of three; 200 requests a second
            // each for 20 s.
            let ids = ["a", "b", "c", "d"];
            let (mem_addr, m_addr) = (mem as usize, m as usize);
            std::thread::scope(|s| {
                for id in ids {
                    s.spawn(move || {
                        let (mem, m) = (mem_addr as *mut c_void, m_addr as *const hdrl_model);
                        let mut a = MaybeUninit::<hdrl_table_answer>::uninit();
                        for k in 0..4000 {
                            let t = 1000.0 + k as f64 * 0.005;
                            let st = hdrl_table_start(m, mem, len, id.as_ptr(), 1, t, ptr::null(), a.as_mut_ptr());
                            if st == hdrl_status::Ok {
                                let e = a.assume_init_ref().entry;
                                assert_eq!(
                                    hdrl_table_end(m, mem, len, e, t + 0.001, 1.0, false, HDRL_COST_FROM_BUNDLE),
                                    hdrl_status::Ok
                                );
                            } else {
                                assert_eq!(st, hdrl_status::TableFull);
                            }
                        }
                    });
                }
            });
            let mut n = 0;
            assert_eq!(hdrl_table_functions(mem, len, &mut n), hdrl_status::Ok);
            assert_eq!(n, 3, "three functions fit; the fourth found the table full");
            // Which three won the race is the scheduler's choice; the fourth stays untracked.
            let (mut tracked, mut one) = (0, "");
            for id in ids {
                match start(id, 1020.5, a.as_mut_ptr()) {
                    hdrl_status::Ok => {
                        one = id;
                        let got = a.assume_init_ref();
                        assert_eq!(got.observed_rps, 200.0, "function {id}: its last closed step, whole");
                        assert!(got.decision.memory_mb >= 256);
                        tracked += 1;
                    }
                    st => assert_eq!(st, hdrl_status::TableFull, "function {id}"),
                }
            }
            assert_eq!(tracked, 3);
            // Bad arguments.
            assert_eq!(start("", 1.0, a.as_mut_ptr()), hdrl_status::InvalidParameter);
            assert_eq!(start(one, f64::NAN, a.as_mut_ptr()), hdrl_status::BadEvent);
            assert_eq!(hdrl_table_end(m, mem, len, 3, 1.0, 1.0, false, 0.0), hdrl_status::InvalidParameter);
            assert_eq!(hdrl_table_functions(mem, 10, &mut n), hdrl_status::InvalidParameter);
            let other = Block::new(len);
            assert_eq!(hdrl_table_functions(other.0.cast(), len, &mut n), hdrl_status::InvalidParameter);
            hdrl_model_free(m);
        }
    }
}
