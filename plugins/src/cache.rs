//! The runtimes' caches of loaded sources: a rhai script's syntax tree, or
//! a checked wasm module with the machine code compiled for it so far, by
//! the source's content hash.
//!
//! A cache keeps the [`CACHED_SOURCES`] sources loaded most recently. One
//! that falls out stays alive as long as a scorer loaded from it does, and
//! is compiled again if it is loaded again: a long-lived runtime that loads
//! many versions of a package over time holds only the recent ones.

use std::sync::{Arc, Mutex};

use hashlink::LruCache;

/// How many compiled sources a runtime keeps for the next load.
pub const CACHED_SOURCES: usize = 64;

/// Compiled sources by content hash, the least recently loaded dropped first.
pub(crate) struct Compiled<T> {
    lru: Mutex<LruCache<String, Arc<T>>>,
}

impl<T> Compiled<T> {
    pub(crate) fn new() -> Compiled<T> {
        Compiled {
            lru: Mutex::new(LruCache::new(CACHED_SOURCES)),
        }
    }

    /// The source under `hash`, compiled by `compile` when it is not kept.
    /// The lock is not held while compiling, so loads of other sources go
    /// on meanwhile; two loads of one new source may both compile it.
    pub(crate) fn get_or_compile<E>(
        &self,
        hash: &str,
        compile: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        // A poisoned lock only means a load panicked; the map is still whole.
        let lock = || self.lru.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kept) = lock().get(hash) {
            return Ok(Arc::clone(kept));
        }
        let compiled = Arc::new(compile()?);
        lock().insert(hash.to_string(), Arc::clone(&compiled));
        Ok(compiled)
    }

    /// How many compiled sources are kept.
    pub(crate) fn len(&self) -> usize {
        self.lru.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_recently_loaded_are_kept_and_the_rest_compiled_again() {
        let cache = Compiled::<usize>::new();
        let compiled = std::cell::Cell::new(0);
        let load = |n: usize| {
            *cache
                .get_or_compile::<()>(&format!("hash-{n}"), || {
                    compiled.set(compiled.get() + 1);
                    Ok(n)
                })
                .unwrap()
        };
        for n in 0..CACHED_SOURCES {
            assert_eq!(load(n), n);
        }
        // Loading the first again marks it recent: the second falls out next.
        assert_eq!(load(0), 0);
        assert_eq!(load(CACHED_SOURCES), CACHED_SOURCES);
        assert_eq!(compiled.get(), CACHED_SOURCES + 1);
        assert_eq!(load(0), 0);
        assert_eq!(compiled.get(), CACHED_SOURCES + 1, "the first was kept");
        assert_eq!(load(1), 1);
        assert_eq!(compiled.get(), CACHED_SOURCES + 2, "the second was dropped");
        assert_eq!(cache.len(), CACHED_SOURCES);
    }

    #[test]
    fn a_source_that_fails_to_compile_is_not_kept() {
        let cache = Compiled::<u8>::new();
        let err = cache.get_or_compile("bad", || Err("no")).unwrap_err();
        assert_eq!(err, "no");
        assert_eq!(cache.len(), 0);
        assert_eq!(*cache.get_or_compile::<()>("bad", || Ok(7)).unwrap(), 7);
    }
}
