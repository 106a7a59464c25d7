use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::*;

fn small() -> Pool {
    Pool::new(PoolConfig {
        threads: 1,
        query_slots: 1,
        export_slots: 1,
        search_slots: 1,
        queue: 1,
        queue_wait: Duration::from_millis(300),
        per_client: 2,
        nice: 0,
    })
    .unwrap()
}

/// Spins without ever awaiting for long: like a query kernel between yields.
async fn busy_forever(alive: Arc<AtomicBool>) {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(false, Ordering::SeqCst);
        }
    }
    alive.store(true, Ordering::SeqCst);
    let _flag = Flag(alive);
    loop {
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(5) {
            std::hint::spin_loop();
        }
        tokio::task::yield_now().await;
    }
}

async fn until(what: impl Fn() -> bool) {
    let t = Instant::now();
    while !what() {
        assert!(t.elapsed() < Duration::from_secs(5), "condition never held");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_cancels_running_work_and_frees_the_slot() {
    let pool = small();
    let alive = Arc::new(AtomicBool::new(false));
    let p = pool.admit(Lane::Query, "a").await.unwrap();
    let t = Instant::now();
    let r = pool
        .run(p, Duration::from_millis(200), busy_forever(alive.clone()))
        .await;
    assert_eq!(r, Err(Stopped::Deadline(Duration::from_millis(200))));
    assert!(t.elapsed() < Duration::from_secs(2));
    until(|| !alive.load(Ordering::SeqCst)).await;
    until(|| pool.stats().running[0] == 0).await;
    // The slot is free again.
    let p = pool.admit(Lane::Query, "a").await.unwrap();
    assert_eq!(
        pool.run(p, Duration::from_secs(1), async { 7 }).await,
        Ok(7)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_goes_away_cancels_its_work() {
    let pool = small();
    let alive = Arc::new(AtomicBool::new(false));
    let p = pool.admit(Lane::Query, "a").await.unwrap();
    let call = pool.run(p, Duration::from_secs(60), busy_forever(alive.clone()));
    // The caller gives up after 100 ms (a client hanging up drops the handler future).
    let _ = tokio::time::timeout(Duration::from_millis(100), call).await;
    until(|| !alive.load(Ordering::SeqCst)).await;
    until(|| pool.stats().running[0] == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_lanes_refuse_instead_of_piling_up() {
    let pool = small();
    let alive = Arc::new(AtomicBool::new(false));
    let p = pool.admit(Lane::Query, "a").await.unwrap();
    let running = {
        let pool = pool.clone();
        let alive = alive.clone();
        tokio::spawn(async move {
            pool.run(p, Duration::from_secs(3), busy_forever(alive))
                .await
        })
    };
    until(|| alive.load(Ordering::SeqCst)).await;
    // One may wait (queue 1) and gets a 503 after the queue wait; the next is refused at once.
    let waiting = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.admit(Lane::Query, "b").await.map(|_| ()) })
    };
    until(|| pool.stats().waiting[0] == 1).await;
    let t = Instant::now();
    assert!(matches!(
        pool.admit(Lane::Query, "c").await,
        Err(Refused::Busy { .. })
    ));
    assert!(t.elapsed() < Duration::from_millis(100));
    assert!(matches!(waiting.await.unwrap(), Err(Refused::Busy { .. })));
    // Other lanes are not affected.
    let s = pool.admit(Lane::Search, "c").await.unwrap();
    assert_eq!(
        pool.run(s, Duration::from_secs(1), async { 1 }).await,
        Ok(1)
    );
    assert!(running.await.unwrap().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_gets_only_its_share() {
    let pool = Pool::new(PoolConfig {
        threads: 1,
        query_slots: 8,
        export_slots: 8,
        search_slots: 1,
        queue: 8,
        queue_wait: Duration::from_millis(300),
        per_client: 2,
        nice: 0,
    })
    .unwrap();
    let a1 = pool.admit(Lane::Query, "10.0.0.1").await.unwrap();
    let a2 = pool.admit(Lane::Export, "10.0.0.1").await.unwrap();
    // A third request of the same client waits for one of its own to end...
    let third = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.admit(Lane::Query, "10.0.0.1").await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(a1);
    assert_eq!(third.await.unwrap(), Ok(()));
    // ...or gets a 429 when none ends in time, while others still get in at once.
    let t = Instant::now();
    let a3 = pool.admit(Lane::Query, "10.0.0.1").await.unwrap();
    assert!(matches!(
        pool.admit(Lane::Query, "10.0.0.1").await,
        Err(Refused::ClientLimit { limit: 2, .. })
    ));
    assert!(t.elapsed() >= Duration::from_millis(250));
    let b = pool.admit(Lane::Query, "10.0.0.2").await.unwrap();
    // A client with many requests queued is refused without waiting.
    let mut waiting = Vec::new();
    for _ in 0..6 {
        let pool = pool.clone();
        waiting.push(tokio::spawn(async move {
            pool.admit(Lane::Query, "10.0.0.1").await.map(|_| ())
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    assert!(matches!(
        pool.admit(Lane::Query, "10.0.0.1").await,
        Err(Refused::ClientLimit { .. })
    ));
    assert!(t.elapsed() < Duration::from_millis(100));
    // Searches are not shared out per client.
    let s = pool.admit(Lane::Search, "10.0.0.1").await.unwrap();
    drop((a2, a3, b, s));
    for w in waiting {
        let _ = w.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_running_and_detached_work() {
    let pool = small();
    let alive = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(std::sync::Mutex::new(None));
    let p = pool.admit(Lane::Export, "").await.unwrap();
    let s = stopped.clone();
    pool.spawn(
        p,
        Duration::from_secs(600),
        busy_forever(alive.clone()),
        move |why| *s.lock().unwrap() = Some(why),
    );
    until(|| alive.load(Ordering::SeqCst)).await;
    let p = pool.admit(Lane::Query, "").await.unwrap();
    let waiting = {
        let pool = pool.clone();
        let alive = Arc::new(AtomicBool::new(false));
        tokio::spawn(async move {
            pool.run(p, Duration::from_secs(600), busy_forever(alive))
                .await
        })
    };
    let t = Instant::now();
    pool.shutdown();
    assert_eq!(waiting.await.unwrap(), Err(Stopped::ShuttingDown));
    until(|| !alive.load(Ordering::SeqCst)).await;
    until(|| stopped.lock().unwrap().is_some()).await;
    assert_eq!(*stopped.lock().unwrap(), Some(Stopped::ShuttingDown));
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(
        pool.admit(Lane::Query, "").await.err(),
        Some(Refused::ShuttingDown)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_an_error_not_a_crash() {
    let pool = small();
    let p = pool.admit(Lane::Query, "").await.unwrap();
    let r: Result<(), Stopped> = pool
        .run(p, Duration::from_secs(1), async {
            panic!("byte array offset overflow")
        })
        .await;
    assert_eq!(
        r,
        Err(Stopped::Panicked("byte array offset overflow".into()))
    );
    let p = pool.admit(Lane::Query, "").await.unwrap();
    assert_eq!(
        pool.run(p, Duration::from_secs(1), async { 2 }).await,
        Ok(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detached_work_hits_its_deadline() {
    let pool = small();
    let alive = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(std::sync::Mutex::new(None));
    let p = pool.admit(Lane::Export, "").await.unwrap();
    let s = stopped.clone();
    pool.spawn(
        p,
        Duration::from_millis(200),
        busy_forever(alive.clone()),
        move |why| *s.lock().unwrap() = Some(why),
    );
    until(|| stopped.lock().unwrap().is_some()).await;
    until(|| !alive.load(Ordering::SeqCst)).await;
    assert_eq!(
        *stopped.lock().unwrap(),
        Some(Stopped::Deadline(Duration::from_millis(200)))
    );
}
