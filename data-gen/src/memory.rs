//! An estimate of the memory [`crate::generate`] needs, so that a run that cannot fit is
//! refused before it starts instead of growing until the machine swaps or the kernel kills
//! it (`generate --persons 536870911`, the documented maximum, grew past 8.8 GB in 60 s).
//!
//! The model is linear in what the run holds at its peak: the population and the network
//! (per person, scaled by `degree_scale`), and the event rows of the parts being generated
//! at once (one part of `chunk_persons` people per thread, each sorted and encoded whole).
//! The coefficients are fitted to peak RSS measured with `/usr/bin/time -v` (see
//! `docs/architecture.md`, "Memory"); the estimate is meant to be right within a factor of
//! about 1.5, enough to refuse what cannot fit, not to budget to the megabyte.

use crate::GeneratorConfig;

/// Fixed cost of a run: code, allocator arenas, Parquet writers, rayon stacks.
pub const BASE_BYTES: u64 = 48 << 20;
/// Population, contexts, network, closeness and truth rows, per person at `degree_scale` 1
/// (between the 15 KB the smallest runs show per added person and the 2.1 KB of `large`).
pub const BYTES_PER_PERSON: u64 = 1_200;
/// One event row held in a part's buffer (the row, its sort, its Arrow columns; fitted:
/// 51 bytes).
pub const BYTES_PER_BUFFERED_EVENT: u64 = 55;
/// Events per person at the default rates over 90 days (measured: 575 on `tiny`, 680 on
/// `small`, 622 on `large`).
pub const EVENTS_PER_PERSON: f64 = 680.0;

/// Expected events per person under `config`: [`EVENTS_PER_PERSON`] scaled by the event
/// rate, the sampling, the window length and the degree scale.
pub fn events_per_person(config: &GeneratorConfig) -> f64 {
    EVENTS_PER_PERSON
        * config.event_rate.max(0.0)
        * config.sample_events.clamp(0.0, 1.0)
        * (config.days.max(0) as f64 / 90.0)
        * config.degree_scale.max(0.0)
}

/// The estimated peak memory of generating `config` with `threads` worker threads, in bytes
/// (saturating: an absurd configuration gives `u64::MAX`, never an overflow).
pub fn estimate_bytes(config: &GeneratorConfig, threads: usize) -> u64 {
    let persons = config.persons as f64;
    let scale = config.degree_scale.max(0.0);
    let network = persons * BYTES_PER_PERSON as f64 * scale.max(1.0);
    let events_per_person = events_per_person(config);
    let chunk = config.chunk_persons.max(1).min(config.persons.max(1)) as f64;
    let parts = (persons / chunk).ceil().max(1.0);
    let concurrent = (threads.max(1) as f64).min(parts);
    let buffers = concurrent * chunk * events_per_person * BYTES_PER_BUFFERED_EVENT as f64;
    let total = BASE_BYTES as f64 + network + buffers;
    if total.is_finite() && total < u64::MAX as f64 {
        total as u64
    } else {
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    #[test]
    fn presets_are_estimated_near_their_measured_peaks() {
        let mib = |p| estimate_bytes(&GeneratorConfig::preset(p), 2) >> 20;
        // Measured peaks: small 342 MiB, medium 1,054-1,106 MiB, large 2,147 MiB.
        assert!(
            (150..=450).contains(&mib(Preset::Small)),
            "{}",
            mib(Preset::Small)
        );
        assert!(
            (700..=1600).contains(&mib(Preset::Medium)),
            "{}",
            mib(Preset::Medium)
        );
        assert!(
            (1400..=3200).contains(&mib(Preset::Large)),
            "{}",
            mib(Preset::Large)
        );
    }

    #[test]
    fn the_largest_accepted_size_is_estimated_without_overflow() {
        let mut c = GeneratorConfig::preset(Preset::Large);
        c.persons = crate::config::MAX_PERSONS;
        assert!(estimate_bytes(&c, 64) > 400 << 30);
        c.degree_scale = f64::MAX;
        assert_eq!(estimate_bytes(&c, 64), u64::MAX);
    }
}
