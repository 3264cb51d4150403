//! A map that holds at most a fixed number of entries, forgetting the least recently used ones
//! roughly (two generations, not a strict LRU), with O(1) work per operation.
//!
//! Entries live in a young and an old generation. Inserts go to the young one; when it is full,
//! the old one is dropped and the young one becomes old. A hit in the old generation moves the
//! entry back to the young one, so what is read often survives. At most `capacity` entries are
//! held, and at least `capacity / 2` of the most recently used ones.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// See the module documentation. Not synchronized: callers wrap it in their own lock.
#[derive(Debug)]
pub struct BoundedMap<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    half: usize,
}

impl<K: Hash + Eq, V: Clone> BoundedMap<K, V> {
    /// A map of at most `capacity` entries (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            young: HashMap::new(),
            old: HashMap::new(),
            half: (capacity / 2).max(1),
        }
    }

    /// The value of `key`, if held; a hit counts as a use.
    pub fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(v) = self.young.get(key) {
            return Some(v.clone());
        }
        let (k, v) = self.old.remove_entry(key)?;
        self.insert(k, v.clone());
        Some(v)
    }

    /// Holds `value` under `key`, replacing what was there.
    pub fn insert(&mut self, key: K, value: V) {
        self.old.remove(&key);
        if self.young.len() >= self.half && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }

    /// Forgets `key`; returns what it held.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let young = self.young.remove(key);
        let old = self.old.remove(key);
        young.or(old)
    }

    /// Forgets every entry `keep` says no to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.young.retain(|k, v| keep(k, v));
        self.old.retain(|k, v| keep(k, v));
    }

    /// Every entry held, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.young.iter().chain(self.old.iter())
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_capacity_and_keeps_recent_use() {
        let mut map = BoundedMap::new(4);
        for i in 0..4 {
            map.insert(i, i * 10);
        }
        // 0 and 1 were rotated to the old generation; reading 0 brings it back.
        assert_eq!(map.get(&0), Some(0));
        for i in 4..6 {
            map.insert(i, i * 10);
        }
        assert!(map.len() <= 4, "{}", map.len());
        assert_eq!(map.get(&5), Some(50));
        assert_eq!(map.get(&1), None, "least recently used is forgotten");
    }

    #[test]
    fn remove_and_retain_reach_both_generations() {
        let mut map = BoundedMap::new(2);
        map.insert("a", 1);
        map.insert("b", 2);
        assert_eq!(map.remove("a"), Some(1));
        assert_eq!(map.get("a"), None);
        map.insert("c", 3);
        map.retain(|_, v| *v != 2);
        assert_eq!(map.get("b"), None);
        assert_eq!(map.get("c"), Some(3));
        assert!(!map.is_empty());
    }
}
