use crate::GraphError;
use rayon::prelude::*;
use tierank_format::PersonId;

/// A dense internal node id, `0..graph.num_nodes()`.
///
/// Dense ids follow ascending person-id order (see [`IdMap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The id as an index into per-node arrays.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl TryFrom<usize> for NodeId {
    type Error = GraphError;
    fn try_from(value: usize) -> Result<Self, Self::Error> {
        u32::try_from(value)
            .map(NodeId)
            .map_err(|_| GraphError::TooManyNodes { count: value })
    }
}

/// The bijection between dense [`NodeId`]s and int64 person ids.
///
/// Invariant: `ids` is strictly increasing, and `NodeId(i)` is the person `ids[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdMap {
    ids: Vec<PersonId>,
}

impl IdMap {
    /// Builds the map from any list of person ids (sorted and deduplicated here).
    ///
    /// # Errors
    /// [`GraphError::TooManyNodes`] when there are more than `u32::MAX` distinct ids.
    pub fn from_unsorted(mut ids: Vec<PersonId>) -> Result<Self, GraphError> {
        if ids.len() <= SMALL {
            ids.sort_unstable();
            ids.dedup();
        } else {
            ids = sorted_distinct(&[&ids]);
        }
        Self::check_len(ids.len())?;
        Ok(Self { ids })
    }

    /// Builds the map from the person ids of several lists (e.g. both endpoint columns of a
    /// tie table), without first concatenating them.
    ///
    /// Same result as [`IdMap::from_unsorted`] of the concatenation. Sorts by one parallel
    /// bucket pass over the high bits of `id - min` followed by small per-bucket sorts, so
    /// that millions of repeated ids cost a few linear passes rather than one large sort.
    ///
    /// # Errors
    /// [`GraphError::TooManyNodes`] when there are more than `u32::MAX` distinct ids.
    pub fn from_unsorted_parts(parts: &[&[PersonId]]) -> Result<Self, GraphError> {
        let ids = sorted_distinct(parts);
        Self::check_len(ids.len())?;
        Ok(Self { ids })
    }

    /// Builds the map from ids that are already strictly increasing.
    ///
    /// # Errors
    /// [`GraphError::Inconsistent`] when they are not, [`GraphError::TooManyNodes`] when too many.
    pub fn from_sorted(ids: Vec<PersonId>) -> Result<Self, GraphError> {
        if let Some(w) = ids.windows(2).find(|w| w[0] >= w[1]) {
            return Err(if w[0] == w[1] {
                GraphError::DuplicatePerson(w[0])
            } else {
                GraphError::Inconsistent("person ids not sorted".into())
            });
        }
        Self::check_len(ids.len())?;
        Ok(Self { ids })
    }

    fn check_len(len: usize) -> Result<(), GraphError> {
        if len > u32::MAX as usize {
            return Err(GraphError::TooManyNodes { count: len });
        }
        Ok(())
    }

    /// Number of people.
    #[inline]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no people.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The dense id of a person, by binary search (`O(log n)`).
    #[inline]
    pub fn dense(&self, person: PersonId) -> Option<NodeId> {
        self.ids
            .binary_search(&person)
            .ok()
            .map(|i| NodeId(i as u32))
    }

    /// A lookup equivalent to [`IdMap::dense`] for many queries: a table of bucket starts
    /// over the high bits of `person - min` narrows each search to the few ids in one bucket
    /// (about one per bucket for evenly spread ids; never worse than a binary search).
    ///
    /// Building it costs `O(n)` time and at most 4 bytes per person, held only as long as the
    /// returned closure.
    pub fn dense_lookup(&self) -> impl Fn(PersonId) -> Option<NodeId> + Send + Sync + '_ {
        let index = BucketIndex::new(&self.ids);
        move |person| index.dense(person)
    }

    /// The person id of a dense id.
    ///
    /// # Panics
    /// When `node` is out of range.
    #[inline]
    pub fn person(&self, node: NodeId) -> PersonId {
        self.ids[node.index()]
    }

    /// All person ids in dense order (ascending).
    #[inline]
    pub fn persons(&self) -> &[PersonId] {
        &self.ids
    }
}

/// Below this many ids a plain sort beats the bucket pass.
const SMALL: usize = 1 << 15;

/// Ids per bucket aimed at by [`sorted_distinct`]: sorts that stay in cache.
const IDS_PER_BUCKET: usize = 4096;

/// At most `2^BUCKET_BITS` buckets: the scatter writes one stream per bucket, and with more
/// streams than TLB entries every write misses (measured: 2^16 buckets scattered twice as
/// slowly as 2^11 on the medium peer file, for a third less sorting).
const BUCKET_BITS: u32 = 11;

/// The buckets of ids over `min..=max`: bucket `k` holds the ids whose `id - min` has `k` as
/// its top bits, so buckets follow id order.
#[derive(Debug, Clone, Copy)]
struct Buckets {
    min: PersonId,
    shift: u32,
    count: usize,
}

impl Buckets {
    /// At most `2^bits` buckets spanning `min..=max`.
    fn new(min: PersonId, max: PersonId, bits: u32) -> Self {
        // `max - min` fits in u64 for any two i64 with min <= max.
        let span = max.wrapping_sub(min) as u64;
        let width = u64::BITS - span.leading_zeros();
        let shift = width.saturating_sub(bits);
        Self {
            min,
            shift,
            count: usize::try_from(span >> shift).expect("at most 2^bits buckets") + 1,
        }
    }

    /// The bucket of `id`, which must lie in `min..=max`.
    #[inline]
    fn of(&self, id: PersonId) -> usize {
        ((id.wrapping_sub(self.min) as u64) >> self.shift) as usize
    }
}

/// `ceil(log2(x))`, 0 for `x <= 1`.
fn ceil_log2(x: usize) -> u32 {
    usize::BITS - x.saturating_sub(1).leading_zeros()
}

/// Splits `slice` at the ascending positions `cuts` (excluding 0 and `len`).
pub(crate) fn split_at_cuts<'a, T>(mut slice: &'a mut [T], cuts: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut done = 0;
    for &cut in cuts {
        let (head, tail) = slice.split_at_mut(cut - done);
        out.push(head);
        slice = tail;
        done = cut;
    }
    out.push(slice);
    out
}

/// Cuts `0..starts.len() - 1` (bucket or node ranges with prefix sums `starts`) into at most
/// `parts` consecutive ranges of about equal total size; returns the inner boundaries.
pub(crate) fn balanced_cuts(starts: &[u64], parts: usize) -> Vec<usize> {
    let total = *starts.last().unwrap_or(&0);
    let n = starts.len().saturating_sub(1);
    let mut cuts = Vec::with_capacity(parts);
    for k in 1..parts {
        let goal = total * k as u64 / parts as u64;
        let cut = starts.partition_point(|&s| s < goal).min(n);
        if cut > *cuts.last().unwrap_or(&0) && cut < n {
            cuts.push(cut);
        }
    }
    cuts
}

/// The distinct ids of all `parts`, ascending.
///
/// Bucket pass: count ids per bucket (parallel over chunks, exact integer sums), scatter them
/// into one buffer (each thread owns a range of buckets and scans every part, keeping its
/// own, so no two threads write the same memory), then sort and deduplicate each bucket
/// (parallel over groups of buckets) and close the gaps. The result does not depend on the
/// thread count.
fn sorted_distinct(parts: &[&[PersonId]]) -> Vec<PersonId> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total <= SMALL {
        let mut ids = Vec::with_capacity(total);
        for p in parts {
            ids.extend_from_slice(p);
        }
        ids.sort_unstable();
        ids.dedup();
        return ids;
    }
    let (min, max) = parts
        .par_iter()
        .flat_map(|p| p.par_iter())
        .fold(
            || (PersonId::MAX, PersonId::MIN),
            |(lo, hi), &x| (lo.min(x), hi.max(x)),
        )
        .reduce(
            || (PersonId::MAX, PersonId::MIN),
            |a, b| (a.0.min(b.0), a.1.max(b.1)),
        );
    let buckets = Buckets::new(
        min,
        max,
        ceil_log2(total / IDS_PER_BUCKET).clamp(1, BUCKET_BITS),
    );

    // Ids per bucket.
    const CHUNK: usize = 1 << 16;
    // An id equal to the one before it in its list is skipped here and in the scatter:
    // tables sorted by one column (common for exports) then cost one pass for that column.
    let counts = parts
        .par_iter()
        .flat_map(|p| {
            p.par_chunks(CHUNK)
                .enumerate()
                .map(move |(k, chunk)| (chunk, k.checked_sub(1).map(|_| p[k * CHUNK - 1])))
        })
        .fold(
            || vec![0u64; buckets.count],
            |mut h, (chunk, mut prev)| {
                for &x in chunk {
                    if prev != Some(x) {
                        h[buckets.of(x)] += 1;
                        prev = Some(x);
                    }
                }
                h
            },
        )
        .reduce(
            || vec![0u64; buckets.count],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mut starts = Vec::with_capacity(buckets.count + 1);
    let mut acc = 0u64;
    starts.push(0);
    for c in &counts {
        acc += c;
        starts.push(acc);
    }
    drop(counts);

    // Scatter: thread-owned bucket ranges.
    let mut buf = vec![0 as PersonId; acc as usize];
    let threads = rayon::current_num_threads().max(1);
    let owner_cuts = balanced_cuts(&starts, threads);
    let ranges = bucket_ranges(&owner_cuts, buckets.count);
    let slot_cuts: Vec<usize> = owner_cuts.iter().map(|&b| starts[b] as usize).collect();
    split_at_cuts(&mut buf, &slot_cuts)
        .into_par_iter()
        .zip(ranges.par_iter())
        .for_each(|(out, &(lo, hi))| {
            let base = starts[lo];
            let mut fill: Vec<usize> = starts[lo..hi]
                .iter()
                .map(|&s| (s - base) as usize)
                .collect();
            for p in parts {
                let mut prev = None;
                for &x in *p {
                    if prev == Some(x) {
                        continue;
                    }
                    prev = Some(x);
                    let b = buckets.of(x);
                    if (lo..hi).contains(&b) {
                        out[fill[b - lo]] = x;
                        fill[b - lo] += 1;
                    }
                }
            }
        });

    // Sort and deduplicate each bucket, compacting within its group.
    let group_cuts = balanced_cuts(&starts, 4 * threads);
    let groups = bucket_ranges(&group_cuts, buckets.count);
    let slot_cuts: Vec<usize> = group_cuts.iter().map(|&b| starts[b] as usize).collect();
    let kept: Vec<usize> = split_at_cuts(&mut buf, &slot_cuts)
        .into_par_iter()
        .zip(groups.par_iter())
        .map(|(out, &(lo, hi))| {
            let base = starts[lo] as usize;
            let mut write = 0;
            for b in lo..hi {
                let (s, e) = (starts[b] as usize - base, starts[b + 1] as usize - base);
                out[s..e].sort_unstable();
                let mut last = None;
                for i in s..e {
                    let x = out[i];
                    if last != Some(x) {
                        out[write] = x;
                        write += 1;
                        last = Some(x);
                    }
                }
            }
            write
        })
        .collect();
    let mut write = 0;
    for (&(lo, _), kept) in groups.iter().zip(kept) {
        let start = starts[lo] as usize;
        buf.copy_within(start..start + kept, write);
        write += kept;
    }
    buf.truncate(write);
    buf.shrink_to_fit();
    buf
}

/// The `(lo, hi)` ranges between the cuts of `0..n`.
pub(crate) fn bucket_ranges(cuts: &[usize], n: usize) -> Vec<(usize, usize)> {
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut lo = 0;
    for &c in cuts.iter().chain(std::iter::once(&n)) {
        ranges.push((lo, c));
        lo = c;
    }
    ranges
}

/// Bucket starts over sorted, distinct ids, for [`IdMap::dense_lookup`].
struct BucketIndex<'a> {
    ids: &'a [PersonId],
    buckets: Buckets,
    max: PersonId,
    /// `starts[k]..starts[k + 1]` are the indices of the ids in bucket `k`.
    starts: Vec<u32>,
}

impl<'a> BucketIndex<'a> {
    fn new(ids: &'a [PersonId]) -> Self {
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else {
            return Self {
                ids,
                buckets: Buckets::new(0, 0, 0),
                max: -1,
                starts: vec![0, 0],
            };
        };
        // About one id per bucket.
        let bits = (usize::BITS - ids.len().leading_zeros())
            .saturating_sub(1)
            .min(24);
        let buckets = Buckets::new(min, max, bits);
        let mut starts = Vec::with_capacity(buckets.count + 1);
        for (i, &id) in ids.iter().enumerate() {
            let b = buckets.of(id);
            // `i <= u32::MAX`: an IdMap holds at most u32::MAX ids.
            starts.resize(b + 1, i as u32);
        }
        starts.resize(buckets.count + 1, ids.len() as u32);
        Self {
            ids,
            buckets,
            max,
            starts,
        }
    }

    #[inline]
    fn dense(&self, person: PersonId) -> Option<NodeId> {
        if person < self.buckets.min || person > self.max {
            return None;
        }
        let b = self.buckets.of(person);
        let (s, e) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        let bucket = &self.ids[s..e];
        let i = if bucket.len() <= 8 {
            bucket.iter().position(|&x| x == person)
        } else {
            bucket.binary_search(&person).ok()
        }?;
        Some(NodeId((s + i) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(ids: &[PersonId]) -> Vec<PersonId> {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn bucket_pass_matches_sort_on_large_inputs() {
        // Spread, clustered and extreme ids, each repeated, above the small-input cutoff.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let spread: Vec<PersonId> = (0..100_000)
            .map(|_| (next() >> 1) as i64 % 30_000)
            .collect();
        let wide: Vec<PersonId> = (0..70_000).map(|_| next() as i64).collect();
        let extremes = [PersonId::MIN, PersonId::MAX, 0, -1, 1];
        // Runs of equal ids crossing the counting chunks.
        let runs: Vec<PersonId> = (0..200_000).map(|i| i / 977 * 31 - 5000).collect();
        let mut skewed: Vec<PersonId> = (0..60_000).map(|i| i % 50).collect();
        skewed.extend_from_slice(&extremes);
        for parts in [
            vec![&spread[..], &wide[..]],
            vec![&skewed[..]],
            vec![&wide[..], &extremes[..], &[][..]],
            vec![&runs[..], &spread[..], &runs[..]],
        ] {
            let all: Vec<PersonId> = parts.concat();
            let expected = naive(&all);
            assert_eq!(
                IdMap::from_unsorted_parts(&parts).unwrap().persons(),
                &expected[..]
            );
            assert_eq!(
                IdMap::from_unsorted(all.clone()).unwrap().persons(),
                &expected[..]
            );
            let map = IdMap::from_sorted(expected.clone()).unwrap();
            let lookup = map.dense_lookup();
            for &p in all.iter().chain(&[PersonId::MIN + 1, PersonId::MAX - 1, 7]) {
                assert_eq!(lookup(p), map.dense(p), "person {p}");
            }
            // Same result at one thread.
            let one = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            assert_eq!(
                one.install(|| IdMap::from_unsorted_parts(&parts))
                    .unwrap()
                    .persons(),
                &expected[..]
            );
        }
    }

    #[test]
    fn lookup_of_empty_and_single_maps() {
        let empty = IdMap::default();
        assert_eq!(empty.dense_lookup()(0), None);
        let one = IdMap::from_sorted(vec![PersonId::MIN]).unwrap();
        let lookup = one.dense_lookup();
        assert_eq!(lookup(PersonId::MIN), Some(NodeId(0)));
        assert_eq!(lookup(PersonId::MAX), None);
    }

    proptest! {
        #[test]
        fn lookup_agrees_with_binary_search(
            ids in proptest::collection::vec(any::<i64>(), 0..300),
            queries in proptest::collection::vec(any::<i64>(), 0..50),
            small in proptest::collection::vec(-20i64..20, 0..100),
        ) {
            let map = IdMap::from_unsorted_parts(&[&ids, &small]).unwrap();
            prop_assert_eq!(map.persons(), &naive(&[ids.clone(), small.clone()].concat())[..]);
            let lookup = map.dense_lookup();
            for &q in queries.iter().chain(&ids).chain(&small) {
                prop_assert_eq!(lookup(q), map.dense(q));
                prop_assert_eq!(lookup(q.wrapping_add(1)), map.dense(q.wrapping_add(1)));
            }
        }
    }
}
