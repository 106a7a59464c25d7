//! One ingestion pass over a source: reading, analysing and (speculatively) converting on three
//! threads, then a second pass only when the whole file disagrees with its sample.

use std::path::Path;

use datafusion::arrow::array::ArrayRef;

use super::analysis::*;
use super::options::*;
use super::rows::*;
use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::infer::Cell;
use crate::snapshot::*;
use crate::source::Source;

/// What the analyser thread leaves: its outcome, the encoder's, and the state for deciding
/// whether the speculative output stands.
pub(crate) struct Consumed {
    pub(crate) analysed: Result<(), IngestError>,
    pub(crate) encoded: Option<Encoded>,
    pub(crate) analysis: Analysis,
    pub(crate) sample: Vec<Vec<OwnedCell>>,
    pub(crate) speculation: Option<(Plan, Converter)>,
}

/// Rows (and bytes) read before the types are guessed for converting in the same pass.
pub(crate) const SAMPLE_ROWS: usize = 4096;
pub(crate) const SAMPLE_BYTES: usize = 16 << 20;

/// An encoder thread's result: the writer, to be finished.
pub(crate) type Encoded = Result<SnapshotWriter, IngestError>;

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    src: &mut dyn Source,
    format: InputFormat,
    dialect: serde_json::Value,
    options: &IngestOptions,
    german_file: bool,
    output: &Path,
    progress: Progress<'_>,
    warnings: &mut Vec<Msg>,
) -> Result<IngestReport, IngestError> {
    let headers = src.headers();
    let width = headers.len();
    if width == 0 {
        return Err(IngestError::Data(Msg::new("ingest.no_columns")));
    }
    // One pass that analyses every row and, after a sample, already converts with the types
    // the sample suggests. When the whole file agrees with the sample (the usual case), that
    // output is the table; otherwise a second pass converts with the final types.
    // Three threads: this one reads and decodes, an analyser infers types and converts, an
    // encoder writes Parquet.
    let (row_tx, row_rx) = std::sync::mpsc::sync_channel::<RowBatch>(ROWS_QUEUED);
    let headers_ref = &headers;
    let (scanned, consumed, privacy) = std::thread::scope(|scope| {
        let analyser = scope.spawn(move || -> Consumed {
            let mut a = Analysis::new(width, german_file);
            let mut sample: Vec<Vec<OwnedCell>> = Vec::new();
            let mut sample_bytes = 0usize;
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ArrayRef>>(ARRAYS_QUEUED);
            let mut rx = Some(rx);
            let mut speculation: Option<(Plan, Converter)> = None;
            let mut encoder: Option<std::thread::ScopedJoinHandle<'_, Encoded>> = None;
            let mut on_row = |cells: &[Cell<'_>]| -> Result<(), IngestError> {
                let Some((held, cells)) = a.admit(cells) else {
                    return Ok(());
                };
                for row in &held {
                    a.observe(&text_cells(row));
                }
                if let Some((_, conv)) = speculation.as_mut() {
                    for row in &held {
                        conv.push_text(row, progress)?;
                    }
                    return conv.push_observed(cells, &mut a, progress);
                }
                a.observe(cells);
                for row in &held {
                    sample.push(owned(&text_cells(row)));
                }
                sample_bytes += cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) => s.len() + 16,
                        _ => 16,
                    })
                    .sum::<usize>();
                sample.push(owned(cells));
                if a.rows.is_multiple_of(65_536) {
                    progress("analyse", a.rows);
                }
                if (sample.len() >= SAMPLE_ROWS || sample_bytes >= SAMPLE_BYTES)
                    && let Some(rx) = rx.take()
                {
                    let guess = Plan::new(headers_ref, &a, options)?;
                    let top_cap = (200_000 / guess.columns.len()).clamp(20, 1000);
                    let mut writer = SnapshotWriter::create(
                        output,
                        schema_for(&guess.columns),
                        top_cap,
                        &guess.columns,
                    )?;
                    encoder = Some(scope.spawn(move || -> Encoded {
                        for arrays in rx {
                            writer.write_arrays(arrays)?;
                        }
                        Ok(writer)
                    }));
                    let mut conv = Converter::new(&guess, tx.clone());
                    for row in std::mem::take(&mut sample) {
                        let cells: Vec<Cell<'_>> = row.iter().map(OwnedCell::cell).collect();
                        conv.push(&cells, progress)?;
                    }
                    speculation = Some((guess, conv));
                }
                Ok(())
            };
            let mut analysed = Ok(());
            for batch in row_rx {
                analysed = batch.each_row(&mut on_row);
                if analysed.is_err() {
                    // Dropping the receiver stops the reader.
                    break;
                }
            }
            let analysed = analysed.and_then(|()| match speculation.as_mut() {
                Some((_, conv)) => conv.send(),
                None => Ok(()),
            });
            // Only the converter's sender may keep the encoder waiting.
            drop(tx);
            let encoded = encoder.map(|e| {
                if let Some((_, conv)) = speculation.as_mut() {
                    // Closing the channel lets the encoder finish.
                    let (dead, _) = std::sync::mpsc::sync_channel(0);
                    conv.tx = dead;
                }
                e.join()
                    .unwrap_or_else(|_| Err(IngestError::Engine("encoder panicked".into())))
            });
            Consumed {
                analysed,
                encoded,
                analysis: a,
                sample,
                speculation,
            }
        });
        // The privacy check looks at the rows here, on the reading thread: the analyser's
        // thread, with the type inference and the conversion, is the busiest of the three.
        let mut privacy = options.privacy_check().map(|rules| {
            (
                crate::privacy::Scan::new(headers_ref, rules),
                DataRows::new(width),
            )
        });
        let mut batch = RowBatch::default();
        let send = |batch: &mut RowBatch| {
            let full = std::mem::replace(batch, RowBatch::with_capacity_of(batch));
            row_tx
                .send(full)
                .map_err(|_| IngestError::Engine("analyser stopped".into()))
        };
        let scanned = src
            .scan(&mut |cells| {
                if let Some((scan, rows)) = privacy.as_mut()
                    && let Some((held, cells)) = rows.accept(cells)
                {
                    for row in &held {
                        scan.observe_cells(&text_cells(row));
                    }
                    scan.observe_cells(cells);
                }
                batch.push(cells);
                if batch.slots.len() >= HANDOVER_CELLS || batch.text.len() >= HANDOVER_BYTES {
                    send(&mut batch)?;
                }
                Ok(())
            })
            .and_then(|()| {
                if batch.rows() > 0 {
                    send(&mut batch)
                } else {
                    Ok(())
                }
            });
        drop(row_tx);
        let consumed = analyser.join().unwrap_or_else(|_| Consumed {
            analysed: Err(IngestError::Engine("analyser panicked".into())),
            encoded: None,
            analysis: Analysis::new(width, german_file),
            sample: Vec::new(),
            speculation: None,
        });
        (scanned, consumed, privacy)
    });
    let Consumed {
        analysed,
        encoded,
        analysis: a,
        sample,
        speculation,
    } = consumed;
    // The encoder's error explains a stopped analyser, and the analyser's a stopped reader,
    // better than the closed channels do.
    let encoded = encoded.transpose()?;
    analysed?;
    scanned?;
    if !a.data.pending.is_empty() {
        warnings.push(
            Msg::new("ingest.footer_rows")
                .arg("n", a.data.pending.len())
                .arg(
                    "example",
                    a.data.pending[0]
                        .first()
                        .map(|s| s.chars().take(60).collect::<String>())
                        .unwrap_or_default(),
                ),
        );
    }
    if a.long_rows > 0 {
        warnings.push(Msg::new("ingest.long_rows").arg("n", a.long_rows));
    }
    let privacy = privacy.map(|(scan, _)| scan.finish());
    let plan = Plan::new(&headers, &a, options)?;
    let data_rows = a.rows;
    let (writer, written, lost) = match (speculation, encoded) {
        (Some((guess, conv)), Some(writer)) if guess.converts_like(&plan) => {
            (writer, conv.written, conv.lost)
        }
        (speculation, stale) => {
            // The sample guessed wrong (or the file was small): convert with the final plan,
            // from the sample still in memory or in a second pass over the file. The stale
            // writer is gone before the file is written anew.
            drop(stale);
            let from_sample = speculation.is_none();
            convert(
                src,
                &plan,
                output,
                progress,
                data_rows,
                from_sample.then_some(sample),
            )?
        }
    };
    for (c, n) in plan.columns.iter().zip(&lost) {
        if *n > 0 {
            warnings.push(
                Msg::new("ingest.lost_values")
                    .arg("column", &c.name)
                    .arg("n", n)
                    .arg("type", c.kind.frictionless()),
            );
        }
    }
    let columns = writer.finish(plan.columns)?;
    Ok(IngestReport {
        format,
        rows: written,
        columns,
        dialect,
        warnings: std::mem::take(warnings),
        privacy,
    })
}

/// Converts with a final plan: the rows of `sample` (when the whole table was sampled), else
/// a pass over the source. Returns the writer to finish, rows written and values lost.
pub(crate) fn convert(
    src: &mut dyn Source,
    plan: &Plan,
    output: &Path,
    progress: Progress<'_>,
    data_rows: u64,
    sample: Option<Vec<Vec<OwnedCell>>>,
) -> Result<(SnapshotWriter, u64, Vec<u64>), IngestError> {
    let top_cap = (200_000 / plan.columns.len()).clamp(20, 1000);
    let mut writer =
        SnapshotWriter::create(output, schema_for(&plan.columns), top_cap, &plan.columns)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ArrayRef>>(ARRAYS_QUEUED);
    let mut conv = Converter::new(plan, tx);
    let (scanned, encoded) = std::thread::scope(|scope| {
        let encoder = scope.spawn(move || -> Encoded {
            for arrays in rx {
                writer.write_arrays(arrays)?;
            }
            Ok(writer)
        });
        let scanned = match sample {
            Some(rows) => rows.iter().try_for_each(|row| {
                let cells: Vec<Cell<'_>> = row.iter().map(OwnedCell::cell).collect();
                conv.push(&cells, progress)
            }),
            None => src.scan(&mut |cells| {
                if conv.written >= data_rows || !cells.iter().any(nonempty) {
                    return Ok(());
                }
                conv.push(cells, progress)
            }),
        };
        let scanned = scanned.and_then(|()| conv.send());
        let (dead, _) = std::sync::mpsc::sync_channel(0);
        conv.tx = dead;
        let encoded = encoder
            .join()
            .unwrap_or_else(|_| Err(IngestError::Engine("encoder panicked".into())));
        (scanned, encoded)
    });
    let writer = encoded?;
    scanned?;
    Ok((writer, conv.written, conv.lost))
}
