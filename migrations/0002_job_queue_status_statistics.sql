-- pq-stats and the dashboard show finished and failed counts per queue. Counting a million finished
-- rows exactly takes most of a second even as an index-only scan, so above a threshold they show an
-- estimate. The planner's per-column statistics would multiply queue and status frequencies as if
-- independent (wrong as soon as one queue fails more than another); these multivariate MCV statistics
-- keep the frequency of each (queue, status) pair. ANALYZE (autovacuum's) computes them: nothing is
-- added to inserts or completions.
create statistics if not exists job_queue_status_stats (mcv) on queue, status from job;
