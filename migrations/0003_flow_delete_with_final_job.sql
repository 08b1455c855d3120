-- A flow lives as long as its final job (django-pq's FlowStore shares that job's TTL). The TTL sweep
-- used to find flows whose final job was gone by checking every flow against the job table on every
-- maintenance pass of every worker: 0.8 s a pass with 1M jobs and 100k flows. Instead, deleting a
-- flow's final job deletes the flow, however the job goes (TTL sweep, resultTtl 0, queue.delete).
-- A row trigger with a WHEN clause costs jobs outside flows one null test each; a statement trigger
-- would build a transition table on every delete, the hot path's included.
create or replace function flow_delete_with_final_job() returns trigger
language plpgsql set search_path from current as $$
begin
  delete from flow where id = old.flow_id and job_ids[cardinality(job_ids)] = old.id;
  return null;
end
$$;

create trigger job_flow_final_deleted after delete on job
  for each row when (old.flow_id is not null) execute function flow_delete_with_final_job();

-- Flows whose final job went before this migration.
delete from flow f where not exists (select 1 from job j where j.id = f.job_ids[cardinality(f.job_ids)]);
