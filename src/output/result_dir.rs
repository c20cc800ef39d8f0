//! A result folder written as a whole: the files of one run (summary.csv, subgroups.csv, ...,
//! scenario.toml) are staged as temporary files beside their place and renamed into it
//! together, under an exclusive lock on the folder, so that two runs into the same folder never
//! leave a mix of both (before, 30 concurrent pairs once left summary.csv of one seed beside
//! subgroups.csv of the other), and a run that fails half-way changes nothing.
//!
//! The lock is `flock(2)` on the folder itself (no lock file is left among the results), held
//! from the first staged file to the last rename; a second writer waits for it, saying so on
//! stderr.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// A result folder being written; nothing is visible in it until `commit`.
pub struct ResultDir {
    dir: PathBuf,
    /// The folder, held open for the flock; released when dropped.
    _lock: File,
    staged: Vec<(tempfile::TempPath, PathBuf)>,
    removed: Vec<PathBuf>,
}

impl ResultDir {
    /// Creates `dir` if needed and takes its lock, waiting for another writer to finish.
    pub fn lock(dir: &Path) -> std::io::Result<ResultDir> {
        super::files::create_folder(dir)?;
        let lock = File::open(dir)?;
        if !flock(&lock, libc::LOCK_EX | libc::LOCK_NB)? {
            eprintln!(
                "waiting for another endotrial process writing into {}",
                dir.display()
            );
            flock(&lock, libc::LOCK_EX)?;
        }
        Ok(ResultDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            staged: Vec::new(),
            removed: Vec::new(),
        })
    }

    /// Stages `bytes` as the file `name` of the folder (mode 0666 less the umask).
    pub fn stage(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_data()?;
        super::files::set_result_mode(tmp.as_file(), false)?;
        self.staged
            .push((tmp.into_temp_path(), self.dir.join(name)));
        Ok(())
    }

    /// The file `name` must not be left in the folder (a result this run does not write).
    pub fn remove(&mut self, name: &str) {
        self.removed.push(self.dir.join(name));
    }

    /// Renames every staged file into place and removes the others, under the lock. Staged
    /// files not yet renamed are deleted if this fails.
    pub fn commit(self) -> std::io::Result<()> {
        for path in &self.removed {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        for (tmp, path) in self.staged {
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        Ok(())
    }
}

/// `flock(2)` with `operation`; `Ok(false)` when a non-blocking request finds the lock held.
fn flock(file: &File, operation: i32) -> std::io::Result<bool> {
    loop {
        // SAFETY: the descriptor is open for the lifetime of `file`; flock takes no pointers.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(error),
        }
    }
}
