//! Making the loss of a peer loud and bounded.
//!
//! timely has no fault tolerance: when a peer process dies its TCP connections close
//! without the end-of-stream message, and this process's network threads (named
//! `timely:recv-P` / `timely:send-P`, `P` the peer) panic with "timely communication
//! error". Left alone, the worker threads could wait for the lost peer's progress forever.
//! [`install_exit_on_panic`] makes any panic end the whole process with status 1, after a
//! message that names the lost process. Before the peers are connected, timely retries
//! forever; [`ConnectWatchdog`] bounds that wait.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Exit status of a process that lost a peer or could not reach one.
pub const EXIT_FAILURE: i32 = 1;

/// Set while a [`ConnectWatchdog`] waits for the peers. A panic then (timely's connection
/// threads panic when a peer, or another process's watchdog probing this one, breaks off)
/// waits for the watchdog, whose message names the unreachable processes.
static CONNECTING: AtomicBool = AtomicBool::new(false);

/// The peer a timely network thread talks to, from its name (`timely:recv-P`).
fn peer_of_thread(name: &str) -> Option<usize> {
    let rest = name
        .strip_prefix("timely:recv-")
        .or_else(|| name.strip_prefix("timely:send-"))?;
    rest.parse().ok()
}

/// Makes every panic (a worker's or a network thread's) exit the process with status 1,
/// naming the lost process when a network thread panicked. `process` is this process's
/// index, for the message.
pub fn install_exit_on_panic(process: usize) {
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        if CONNECTING.load(Ordering::Acquire) {
            eprintln!("note: process {process}, while connecting: {message}");
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        match peer_of_thread(name) {
            Some(peer) => eprintln!(
                "error: process {process} lost process {peer}: {message}; stopping (no output is written)"
            ),
            None => eprintln!(
                "error: process {process}, thread {name} failed: {message} (at {}); stopping",
                info.location().map_or_else(String::new, |l| l.to_string())
            ),
        }
        std::process::exit(EXIT_FAILURE);
    }));
}

/// Ends the process when the peers have not all connected within a deadline.
///
/// Dropping the watchdog (or calling [`ConnectWatchdog::connected`]) disarms it.
#[derive(Debug)]
pub struct ConnectWatchdog {
    connected: Arc<AtomicBool>,
}

impl ConnectWatchdog {
    /// Starts a thread that, after `timeout` without [`ConnectWatchdog::connected`], names
    /// the peers of `addresses` that do not accept a connection and exits with status 1.
    pub fn arm(process: usize, addresses: Vec<String>, timeout: Duration) -> Self {
        CONNECTING.store(true, Ordering::Release);
        let connected = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&connected);
        std::thread::Builder::new()
            .name("tierank:connect-watchdog".into())
            .spawn(move || {
                let deadline = Instant::now() + timeout;
                while Instant::now() < deadline {
                    if flag.load(Ordering::Acquire) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                if flag.load(Ordering::Acquire) {
                    return;
                }
                let unreachable: Vec<String> = addresses
                    .iter()
                    .enumerate()
                    .filter(|&(i, a)| i != process && !accepts(a))
                    .map(|(i, a)| format!("process {i} ({a})"))
                    .collect();
                let who = if unreachable.is_empty() {
                    "some peers did not finish connecting".to_owned()
                } else {
                    format!("cannot reach {}", unreachable.join(", "))
                };
                eprintln!(
                    "error: process {process}: {who} within {:.0}s; stopping (no output is written)",
                    timeout.as_secs_f64()
                );
                std::process::exit(EXIT_FAILURE);
            })
            .ok();
        Self { connected }
    }

    /// Disarms the watchdog: every peer is connected.
    pub fn connected(&self) {
        self.connected.store(true, Ordering::Release);
        CONNECTING.store(false, Ordering::Release);
    }
}

impl Drop for ConnectWatchdog {
    fn drop(&mut self) {
        self.connected();
    }
}

/// Whether something listens at `address` (tried for at most one second).
fn accepts(address: &str) -> bool {
    let addrs: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    addrs
        .iter()
        .any(|a| TcpStream::connect_timeout(a, Duration::from_secs(1)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_threads_name_their_peer() {
        assert_eq!(peer_of_thread("timely:recv-2"), Some(2));
        assert_eq!(peer_of_thread("timely:send-11"), Some(11));
        assert_eq!(peer_of_thread("timely:work-1"), None);
        assert_eq!(peer_of_thread("main"), None);
    }
}
