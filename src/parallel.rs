//! Work on many items at once, results in the items' order.

/// Below this many items, one thread does it all: a thread costs more to
/// start than a few configs cost to read.
const SPLIT_FROM: usize = 64;

/// `items.iter().map(f).collect()`, on as many threads as there are CPUs
/// when the items are many. The order of the results is the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if cpus < 2 || items.len() < SPLIT_FROM {
        return items.iter().map(f).collect();
    }
    // A worker's allocations come from an arena of its own, which glibc
    // grows 128 KiB (one mprotect) at a time by default: a few MiB at once.
    // SAFETY: mallopt only sets an allocator parameter.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 4 << 20);
    }
    let chunk = items.len().div_ceil(cpus);
    let f = &f;
    std::thread::scope(|s| {
        let mut chunks = items.chunks(chunk);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        // this thread takes the first share rather than wait idle
        let mut out: Vec<R> = first.iter().map(f).collect();
        for h in others {
            match h.join() {
                Ok(part) => out.extend(part),
                // a panic on a worker is a panic here too
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order() {
        for n in [0, 1, 63, 64, 65, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = super::map(&items, |i| i * 2);
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
