-- A worker claims fast jobs ahead of its free slots, so a claimed ('started') job may still be
-- waiting in its buffer. `began` records that the worker really started running it (marked in
-- batches a moment after the start). When a worker is lost, jobs that never began go back to their
-- queue without spending an attempt, instead of failing as "worker lost" without having run.
-- A constant default makes this an instant catalog change, whatever the table's size.
alter table job add column began boolean not null default false;
