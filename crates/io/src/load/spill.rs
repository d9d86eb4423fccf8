//! Spill files: fixed-size records written once to temporary files and read back later, so
//! that an aggregation too large for its memory budget decodes the Parquet only once.
//!
//! The event aggregation folds sender ranges one after another when the decoded events
//! exceed [`crate::memory::DECODED_EVENTS_BUDGET`]. Before spilling, every range decoded
//! every row group again: on `large` (749 M events, 5 ranges) decoding was 85 % of the load.
//! Writing the later ranges' 24-byte records once and reading them back costs two
//! sequential passes over a few gigabytes instead of four more Parquet decodes.
//!
//! Records are raw bytes in native order, valid only inside the process that wrote them.
//! Their order within a file follows thread scheduling; readers must not depend on it (the
//! event fold sorts and is order-independent). The files live in a fresh directory under
//! [`std::env::temp_dir`] (`TMPDIR` on Unix), removed when the [`Spill`] is dropped, also
//! on error; each file is removed as soon as it has been read back.

use std::fs::File;
use std::io::{Read, Write};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytemuck::Pod;

use crate::IoError;

/// `files` temporary files of records `T`, appended from any thread.
pub(super) struct Spill<T> {
    dir: tempfile::TempDir,
    files: Vec<Mutex<Option<File>>>,
    bytes: AtomicU64,
    _records: PhantomData<T>,
}

impl<T: Pod> Spill<T> {
    /// Creates the directory and its `files` empty files.
    ///
    /// # Errors
    /// [`IoError::Io`] naming the temporary directory when it cannot be created.
    pub(super) fn create(files: usize) -> Result<Self, IoError> {
        let base = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix("tierank-spill-")
            .tempdir_in(&base)
            .map_err(|e| IoError::io(&base, e))?;
        let files = (0..files)
            .map(|i| {
                let path = dir.path().join(format!("part-{i}.bin"));
                File::create(&path)
                    .map(|f| Mutex::new(Some(f)))
                    .map_err(|e| IoError::io(&path, e))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir,
            files,
            bytes: AtomicU64::new(0),
            _records: PhantomData,
        })
    }

    fn path(&self, file: usize) -> PathBuf {
        self.dir.path().join(format!("part-{file}.bin"))
    }

    /// Appends `records` to file `file` (one write, under that file's lock).
    ///
    /// # Errors
    /// [`IoError::Io`] naming the file (a full disk, most likely).
    pub(super) fn append(&self, file: usize, records: &[T]) -> Result<(), IoError> {
        if records.is_empty() {
            return Ok(());
        }
        let bytes: &[u8] = bytemuck::cast_slice(records);
        let mut guard = self.files[file]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let handle = guard
            .as_mut()
            .expect("a spill file is appended to only before it is read back");
        handle
            .write_all(bytes)
            .map_err(|e| IoError::io(self.path(file), e))?;
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Bytes appended so far, over all files.
    pub(super) fn bytes_written(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Reads file `file` back in chunks of at most `chunk` records, in the order they were
    /// written, passing each to `each`; then removes the file. No more appends to it after.
    ///
    /// # Errors
    /// [`IoError::Io`] naming the file, or an error of `each`.
    pub(super) fn read_back(
        &self,
        file: usize,
        chunk: usize,
        mut each: impl FnMut(Vec<T>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let path = self.path(file);
        // Close the writer: every append was one `write_all` on an unbuffered handle, so the
        // bytes are already in the file.
        drop(
            self.files[file]
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take(),
        );
        let mut reader = File::open(&path).map_err(|e| IoError::io(&path, e))?;
        let len = reader.metadata().map_err(|e| IoError::io(&path, e))?.len();
        let size = std::mem::size_of::<T>() as u64;
        if len % size != 0 {
            return Err(IoError::io(
                &path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "spill file of {len} bytes is not a whole number of {size}-byte records"
                    ),
                ),
            ));
        }
        let mut left = len / size;
        let chunk = chunk.max(1) as u64;
        while left > 0 {
            let n = left.min(chunk) as usize;
            let mut records = vec![T::zeroed(); n];
            reader
                .read_exact(bytemuck::cast_slice_mut(&mut records))
                .map_err(|e| IoError::io(&path, e))?;
            left -= n as u64;
            each(records)?;
        }
        drop(reader);
        std::fs::remove_file(&path).map_err(|e| IoError::io(&path, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_chunks_and_the_files_go() {
        let spill = Spill::<u64>::create(2).unwrap();
        let dir = spill.dir.path().to_owned();
        spill.append(0, &[1, 2, 3]).unwrap();
        spill.append(1, &[7]).unwrap();
        spill.append(0, &[4, 5]).unwrap();
        assert_eq!(spill.bytes_written(), 6 * 8);
        let mut chunks = Vec::new();
        spill
            .read_back(0, 2, |c| {
                chunks.push(c);
                Ok(())
            })
            .unwrap();
        assert_eq!(chunks, vec![vec![1, 2], vec![3, 4], vec![5]]);
        assert!(!spill.path(0).exists());
        let mut rest = Vec::new();
        spill
            .read_back(1, 10, |c| {
                rest.extend(c);
                Ok(())
            })
            .unwrap();
        assert_eq!(rest, vec![7]);
        drop(spill);
        assert!(!dir.exists(), "the spill directory is removed on drop");
    }
}
