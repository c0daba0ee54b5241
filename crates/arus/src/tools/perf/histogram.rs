//! A fixed-memory latency histogram in microseconds, HDR-like: values below 256 µs are kept
//! exactly; above, each power of two is split into 128 log-spaced buckets, so a reported value
//! is within 0.4% of the true one. The count, sum and maximum are kept exactly.

/// Values below this are their own bucket.
const LINEAR: u64 = 256;
/// Buckets per power of two above [`LINEAR`].
const SUB: u64 = 128;
/// The largest power of two tracked (2^44 µs is over 200 days); larger values are clamped.
const MAX_EXP: u32 = 44;
const BUCKETS: usize = (LINEAR + (MAX_EXP as u64 - 8 + 1) * SUB) as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            count: 0,
            sum: 0,
            max: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < LINEAR {
            return v as usize;
        }
        let exp = (63 - v.leading_zeros()).min(MAX_EXP);
        let v = v.min((1u64 << (MAX_EXP + 1)) - 1);
        // The top eight bits of v: 128..=255.
        let top = v >> (exp - 7);
        (LINEAR + (exp as u64 - 8) * SUB + (top - SUB)) as usize
    }

    /// The middle of a bucket's range: the value reported for everything in it.
    fn value(index: usize) -> u64 {
        let i = index as u64;
        if i < LINEAR {
            return i;
        }
        let exp = (i - LINEAR) / SUB + 8;
        let top = (i - LINEAR) % SUB + SUB;
        let shift = exp - 7;
        let low = top << shift;
        low + ((1u64 << shift) - 1) / 2
    }

    pub fn record(&mut self, micros: u64) {
        self.counts[Self::index(micros)] += 1;
        self.count += 1;
        self.sum = self.sum.saturating_add(micros);
        self.max = self.max.max(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// The value at quantile `q` (0..=1): the smallest recorded value (to the bucket's
    /// precision) with at least `ceil(q * count)` values at or below it; never above the
    /// maximum, so percentiles stay ordered up to it. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.95), 95);
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.quantile(1.0), 100);
        assert_eq!(h.max(), 100);
        assert!((h.mean() - 50.5).abs() < 1e-9);
    }

    #[test]
    fn large_values_are_within_half_a_percent() {
        let mut v = 200u64;
        while v < 1u64 << 44 {
            let mut h = Histogram::new();
            h.record(v);
            h.record(u64::MAX / 4); // only raises the max
            let got = h.quantile(0.5);
            let err = (got as f64 - v as f64).abs() / v as f64;
            assert!(err <= 0.005, "{v} reported as {got}");
            v = v * 37 / 31 + 1;
        }
    }

    #[test]
    fn percentiles_are_ordered_and_capped_by_max() {
        let mut h = Histogram::new();
        let mut x = 12345u64;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            h.record((x >> 40) % 50_000);
        }
        let qs = [0.5, 0.95, 0.99, 0.999, 1.0].map(|q| h.quantile(q));
        assert!(qs.windows(2).all(|w| w[0] <= w[1]), "{qs:?}");
        assert!(qs[4] <= h.max());
        let mut other = Histogram::new();
        other.record(1_000_000);
        h.merge(&other);
        assert_eq!(h.count(), 10_001);
        let top = h.quantile(1.0);
        assert!((996_000..=1_000_000).contains(&top), "{top}");
        assert_eq!(h.max(), 1_000_000);
    }
}
