-- A job that kills its worker (process.exit, a native crash, out of memory) must not run forever.
-- `crashes` counts the workers lost while running the job (each also spends an attempt), so its
-- final failure can say "worker lost N times". `confirm_start` marks a job a lost worker held
-- without having recorded its start (the start is marked a moment late, to save a write): its next
-- start is recorded before it runs, so if it kills that worker too, the death counts against it.
-- Constant defaults keep both an instant catalog change, whatever the table's size.
alter table job add column crashes integer not null default 0;
alter table job add column confirm_start boolean not null default false;
