//! Writes a dataset directory: every table, the event parts in parallel, then the manifest,
//! all inside a staging directory renamed into place at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int8Array, Int32Array, Int64Array};
use rayon::prelude::*;
use tierank_format::atomic::{ExistingDir, StagedDir, check_output_dir};
use tierank_format::manifest::{Manifest, file_entry};
use tierank_format::{AccountType, Channel, Relation, layout, schema};

use crate::events::{EventContext, EventRow};
use crate::output::{TableWriter, dictionary, timestamps, timestamps_opt};
use crate::population::{AGE_BANDS, ContextKind, NONE};
use crate::rng::permute63;
use crate::{GenError, GeneratorConfig, Synthetic, check_cancelled};

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateReport {
    /// The dataset directory.
    pub out: PathBuf,
    /// Row counts by table name, as in the manifest.
    pub row_counts: BTreeMap<String, u64>,
    /// Events by channel name.
    pub events_by_channel: BTreeMap<String, u64>,
    /// Number of event part files.
    pub event_parts: usize,
    /// Wall time of each phase, in order.
    pub timings: Vec<(String, Duration)>,
}

/// Rows per batch handed to the Parquet writer.
const BATCH_ROWS: usize = 1 << 20;

/// Generates a dataset into `out`.
///
/// The configuration and the output location are checked before anything is written.
/// Files are written into a hidden sibling directory that replaces `out` only when
/// everything, the manifest last, is complete.
///
/// # Errors
/// Parameter errors ([`GenError::InvalidParameter`] and friends), an unusable output
/// directory, or an I/O failure.
pub fn generate(
    config: &GeneratorConfig,
    out: &Path,
    existing: ExistingDir,
) -> Result<GenerateReport, GenError> {
    generate_cancellable(config, out, existing, None)
}

/// [`generate`], stopping soon after `cancel` is set: the flag is checked between stages,
/// per person while building friendships and drawing events, per group chat, and per block
/// of rows written. A cancelled run returns [`GenError::Cancelled`] and removes its
/// staging directory, so `out` is left as it was.
///
/// # Errors
/// As [`generate`]; [`GenError::Cancelled`].
pub fn generate_cancellable(
    config: &GeneratorConfig,
    out: &Path,
    existing: ExistingDir,
    cancel: Option<&AtomicBool>,
) -> Result<GenerateReport, GenError> {
    config.validate()?;
    check_output_dir(out, existing)?;
    check_cancelled(cancel)?;
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &str, timings: &mut Vec<(String, Duration)>| {
        let now = Instant::now();
        timings.push((name.to_owned(), now - clock));
        log::info!("{name}: {:.2?}", now - clock);
        clock = now;
    };
    let syn = crate::build_cancellable(config, cancel)?;
    lap("network", &mut timings);
    let staged = StagedDir::new(out, existing)?;
    let root = staged.path().to_owned();
    let paths = layout::DatasetPaths::new(&root);
    let pop = &syn.population;
    let net = &syn.network;
    let n = pop.len();

    // Internal indices in id order: every person-keyed file is written in this order.
    let mut by_id: Vec<u32> = (0..n as u32).collect();
    by_id.par_sort_unstable_by_key(|&i| pop.id[i as usize]);

    let mut row_counts = BTreeMap::new();
    row_counts.insert(
        "persons".to_owned(),
        write_persons(&syn, &by_id, &paths.persons())?,
    );
    check_cancelled(cancel)?;
    row_counts.insert(
        "truth_persons".to_owned(),
        write_truth_persons(&syn, &by_id, &paths.truth_persons())?,
    );
    lap("persons", &mut timings);
    check_cancelled(cancel)?;
    row_counts.insert(
        "ties".to_owned(),
        write_ties(&syn, &by_id, &paths.ties(), cancel)?,
    );
    lap("ties", &mut timings);
    row_counts.insert(
        "truth_closeness".to_owned(),
        write_closeness(&syn, &by_id, &paths.closeness(), cancel)?,
    );
    lap("closeness", &mut timings);
    check_cancelled(cancel)?;
    let (groups, members) = write_groups(&syn, &paths.groups(), &paths.group_members())?;
    row_counts.insert("groups".to_owned(), groups);
    row_counts.insert("group_members".to_owned(), members);

    // Events: one part per chunk of senders (in id order) plus a share of the group chats.
    let dropped = config.dropped_channels()?;
    let mut keep_channel = [true; 6];
    for c in dropped {
        keep_channel[c.index()] = false;
    }
    let ctx = EventContext {
        config,
        pop,
        net,
        start_ms: syn.start_ms,
        keep_channel,
    };
    let chunk = config.chunk_persons as usize;
    let parts = n.div_ceil(chunk);
    let events_dir = paths.events_dir();
    std::fs::create_dir_all(&events_dir)
        .map_err(|e| tierank_format::FormatError::io(&events_dir, e))?;
    let results: Vec<Result<[u64; 6], GenError>> = (0..parts)
        .into_par_iter()
        .map(|k| {
            let mut rows: Vec<EventRow> = Vec::new();
            for &u in &by_id[k * chunk..((k + 1) * chunk).min(n)] {
                check_cancelled(cancel)?;
                ctx.person_events(u, &mut rows);
            }
            let g = syn.groups.len();
            for chat in &syn.groups[k * g / parts..(k + 1) * g / parts] {
                check_cancelled(cancel)?;
                ctx.group_events(chat, &mut rows);
            }
            check_cancelled(cancel)?;
            rows.sort_unstable_by_key(EventRow::sort_key);
            let path = events_dir.join(layout::events_part_name(k));
            write_events(&path, &rows, cancel)
        })
        .collect();
    // A cancelled run reports that, not whatever else a part ran into meanwhile.
    check_cancelled(cancel)?;
    let mut by_channel = [0u64; 6];
    for r in results {
        for (total, c) in by_channel.iter_mut().zip(r?) {
            *total += c;
        }
    }
    row_counts.insert("events".to_owned(), by_channel.iter().sum());
    lap("events", &mut timings);

    // Manifest, last.
    let mut files = Vec::new();
    let mut add = |rel: String, rows: u64| -> Result<(), GenError> {
        files.push(file_entry(&root, &rel, rows)?);
        Ok(())
    };
    add(layout::PERSONS.into(), row_counts["persons"])?;
    add(layout::TIES.into(), row_counts["ties"])?;
    add(layout::GROUPS.into(), row_counts["groups"])?;
    add(layout::GROUP_MEMBERS.into(), row_counts["group_members"])?;
    add(layout::CLOSENESS.into(), row_counts["truth_closeness"])?;
    add(layout::TRUTH_PERSONS.into(), row_counts["truth_persons"])?;
    for k in 0..parts {
        let rel = format!("{}/{}", layout::EVENTS_DIR, layout::events_part_name(k));
        let rows = parquet_rows(&root.join(&rel))?;
        add(rel, rows)?;
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format_version: tierank_format::FORMAT_VERSION,
        tierank_version: tierank_format::TIERANK_VERSION.to_owned(),
        generator: "tierank generate".to_owned(),
        seed: Some(config.seed),
        parameters: serde_json::to_value(config)
            .map_err(|e| manifest_error(&paths.manifest(), e))?,
        row_counts: row_counts.clone(),
        files,
    };
    let text = manifest
        .to_json()
        .map_err(|e| manifest_error(&paths.manifest(), e))?;
    std::fs::write(paths.manifest(), text)
        .map_err(|e| tierank_format::FormatError::io(paths.manifest(), e))?;
    let out = staged.commit()?;
    lap("manifest", &mut timings);

    let events_by_channel = Channel::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), by_channel[c.index()]))
        .collect();
    Ok(GenerateReport {
        out,
        row_counts,
        events_by_channel,
        event_parts: parts,
        timings,
    })
}

fn manifest_error(path: &Path, e: impl std::fmt::Display) -> GenError {
    GenError::Format(tierank_format::FormatError::Manifest {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn parquet_rows(path: &Path) -> Result<u64, GenError> {
    let file = std::fs::File::open(path).map_err(|e| tierank_format::FormatError::io(path, e))?;
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file)
        .map_err(|e| crate::output::parquet_error(path, e))?;
    use parquet::file::reader::FileReader;
    Ok(reader.metadata().file_metadata().num_rows() as u64)
}

fn i64s(values: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(values))
}

fn write_persons(syn: &Synthetic, by_id: &[u32], path: &Path) -> Result<u64, GenError> {
    let pop = &syn.population;
    let mut w = TableWriter::create(path, schema::persons())?;
    for block in by_id.chunks(BATCH_ROWS) {
        let idx =
            |f: &dyn Fn(usize) -> i64| block.iter().map(|&i| f(i as usize)).collect::<Vec<_>>();
        w.write(vec![
            i64s(idx(&|i| pop.id[i])),
            Arc::new(Int32Array::from(
                block
                    .iter()
                    .map(|&i| pop.region[i as usize] as i32)
                    .collect::<Vec<_>>(),
            )),
            dictionary(
                block.iter().map(|&i| pop.age[i as usize] as i8).collect(),
                &AGE_BANDS,
            ),
            timestamps(idx(&|i| pop.joined_at[i])),
        ])?;
    }
    w.finish()
}

fn write_truth_persons(syn: &Synthetic, by_id: &[u32], path: &Path) -> Result<u64, GenError> {
    let pop = &syn.population;
    let seed = syn.config.seed;
    // Latent ids are random too, so even the truth files carry no layout order.
    let opaque = |salt: u64, x: u32| (permute63(seed ^ salt, u64::from(x)) | 1) as i64;
    let accounts: Vec<&str> = AccountType::ALL.iter().map(|a| a.as_str()).collect();
    let mut w = TableWriter::create(path, schema::truth_persons())?;
    for block in by_id.chunks(BATCH_ROWS) {
        let opt = |v: &[u32], salt| -> ArrayRef {
            Arc::new(Int64Array::from(
                block
                    .iter()
                    .map(|&i| (v[i as usize] != NONE).then(|| opaque(salt, v[i as usize])))
                    .collect::<Vec<_>>(),
            ))
        };
        w.write(vec![
            i64s(block.iter().map(|&i| pop.id[i as usize]).collect()),
            i64s(
                block
                    .iter()
                    .map(|&i| opaque(0x0068_6f75_7365, pop.household[i as usize]))
                    .collect(),
            ),
            opt(&pop.workplace, 0x776f_726b),
            opt(&pop.school, 0x7363_686f_6f6c),
            dictionary(
                block
                    .iter()
                    .map(|&i| pop.account[i as usize] as i8)
                    .collect(),
                &accounts,
            ),
            Arc::new(Float64Array::from(
                block
                    .iter()
                    .map(|&i| f64::from(pop.activity[i as usize]))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from(
                block
                    .iter()
                    .map(|&i| crate::events::is_evader(&syn.config, pop, i))
                    .collect::<Vec<_>>(),
            )),
        ])?;
    }
    w.finish()
}

/// For each ego of a block (in id order), its friends sorted by id.
fn rows_by_id<T: Send>(
    syn: &Synthetic,
    block: &[u32],
    f: impl Fn(u32, usize) -> Option<T> + Sync,
) -> Vec<T> {
    let net = &syn.network;
    let pop = &syn.population;
    block
        .par_iter()
        .map(|&u| {
            let mut entries: Vec<usize> = net.range(u as usize).collect();
            entries.sort_unstable_by_key(|&e| pop.id[net.alters[e] as usize]);
            entries
                .into_iter()
                .filter_map(|e| f(u, e))
                .collect::<Vec<T>>()
        })
        .flatten_iter()
        .collect()
}

/// Blocks of egos small enough that one block's rows stay around a million.
fn ego_blocks<'a>(syn: &Synthetic, by_id: &'a [u32]) -> impl Iterator<Item = &'a [u32]> {
    let mean_degree = (syn.network.alters.len() / by_id.len().max(1)).max(1);
    by_id.chunks((BATCH_ROWS / mean_degree).max(1))
}

fn write_ties(
    syn: &Synthetic,
    by_id: &[u32],
    path: &Path,
    cancel: Option<&AtomicBool>,
) -> Result<u64, GenError> {
    let pop = &syn.population;
    let net = &syn.network;
    let start_ms = syn.start_ms;
    let mut w = TableWriter::create(path, schema::ties())?;
    for block in ego_blocks(syn, by_id) {
        check_cancelled(cancel)?;
        let rows: Vec<(i64, i64, i64)> = rows_by_id(syn, block, |u, e| {
            let v = net.alters[e];
            let (a, b) = (pop.id[u as usize], pop.id[v as usize]);
            (a < b).then(|| {
                let info =
                    crate::events::tie_info(&syn.config, pop, start_ms, u, v, net.relation[e]);
                (a, b, info.formed_at)
            })
        });
        w.write(vec![
            i64s(rows.iter().map(|r| r.0).collect()),
            i64s(rows.iter().map(|r| r.1).collect()),
            timestamps_opt(rows.iter().map(|r| Some(r.2)).collect()),
        ])?;
    }
    w.finish()
}

fn write_closeness(
    syn: &Synthetic,
    by_id: &[u32],
    path: &Path,
    cancel: Option<&AtomicBool>,
) -> Result<u64, GenError> {
    let pop = &syn.population;
    let net = &syn.network;
    let relations: Vec<&str> = Relation::ALL.iter().map(|r| r.as_str()).collect();
    let mut w = TableWriter::create(path, schema::closeness())?;
    for block in ego_blocks(syn, by_id) {
        check_cancelled(cancel)?;
        let rows: Vec<(i64, i64, i8, i8, f64)> = rows_by_id(syn, block, |u, e| {
            Some((
                pop.id[u as usize],
                pop.id[net.alters[e] as usize],
                net.layer[e] as i8,
                net.relation[e].index() as i8,
                syn.closeness_of_entry(u as usize, e),
            ))
        });
        w.write(vec![
            i64s(rows.iter().map(|r| r.0).collect()),
            i64s(rows.iter().map(|r| r.1).collect()),
            Arc::new(Int8Array::from(
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            )),
            dictionary(rows.iter().map(|r| r.3).collect(), &relations),
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            )),
        ])?;
    }
    w.finish()
}

fn write_groups(
    syn: &Synthetic,
    groups_path: &Path,
    members_path: &Path,
) -> Result<(u64, u64), GenError> {
    let pop = &syn.population;
    let mut order: Vec<usize> = (0..syn.groups.len()).collect();
    order.sort_unstable_by_key(|&g| syn.groups[g].id);
    let kinds: Vec<&str> = ContextKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut w = TableWriter::create(groups_path, schema::groups())?;
    w.write(vec![
        i64s(order.iter().map(|&g| syn.groups[g].id).collect()),
        dictionary(
            order
                .iter()
                .map(|&g| {
                    ContextKind::ALL
                        .iter()
                        .position(|k| *k == syn.groups[g].kind)
                        .unwrap_or(0) as i8
                })
                .collect(),
            &kinds,
        ),
        timestamps(order.iter().map(|&g| syn.groups[g].created_at).collect()),
    ])?;
    let groups = w.finish()?;
    let mut w = TableWriter::create(members_path, schema::group_members())?;
    let mut gids = Vec::new();
    let mut pids = Vec::new();
    for &g in &order {
        let mut ids: Vec<i64> = syn.groups[g]
            .members
            .iter()
            .map(|&m| pop.id[m as usize])
            .collect();
        ids.sort_unstable();
        gids.extend(std::iter::repeat_n(syn.groups[g].id, ids.len()));
        pids.extend(ids);
        if gids.len() >= BATCH_ROWS {
            w.write(vec![
                i64s(std::mem::take(&mut gids)),
                i64s(std::mem::take(&mut pids)),
            ])?;
        }
    }
    w.write(vec![i64s(gids), i64s(pids)])?;
    Ok((groups, w.finish()?))
}

fn write_events(
    path: &Path,
    rows: &[EventRow],
    cancel: Option<&AtomicBool>,
) -> Result<[u64; 6], GenError> {
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let mut counts = [0u64; 6];
    let mut w = TableWriter::create(path, schema::events())?;
    for block in rows.chunks(BATCH_ROWS) {
        check_cancelled(cancel)?;
        for r in block {
            counts[usize::from(r.channel)] += 1;
        }
        w.write(vec![
            i64s(block.iter().map(|r| r.src).collect()),
            i64s(block.iter().map(|r| r.dst).collect()),
            dictionary(block.iter().map(|r| r.channel as i8).collect(), &channels),
            timestamps(block.iter().map(|r| r.ts).collect()),
            Arc::new(Float64Array::from(
                block
                    .iter()
                    .map(|r| (!r.value.is_nan()).then_some(r.value))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                block
                    .iter()
                    .map(|r| (r.group != 0).then_some(r.group))
                    .collect::<Vec<_>>(),
            )),
        ])?;
    }
    if rows.is_empty() {
        w.write(vec![
            i64s(vec![]),
            i64s(vec![]),
            dictionary(vec![], &channels),
            timestamps(vec![]),
            Arc::new(Float64Array::from(Vec::<f64>::new())),
            Arc::new(Int64Array::from(Vec::<i64>::new())),
        ])?;
    }
    w.finish()?;
    Ok(counts)
}
