import type { TableNames } from './schema'

// PostgreSQL's spend, as a function created by migration 0005, so that a verification with
// limits or credits spends in one statement, one round trip: the version checks, the counters'
// arithmetic and its writes, and the events of an emptied balance. The arithmetic is a
// line-by-line translation of `spendCounters` (src/core/counters.ts): the same float64
// operations in the same order (PostgreSQL's float8 is IEEE 754 double precision, as a JS
// number is), the same slack, floor and ceil, so each answer is the one the memory store gives.
// Part of migration 0005: a later change is a new migration that replaces the function.

/** The function's name for a table prefix (the prefix needs no quoting; see `TABLE_PREFIX`). */
export const pgSpendFunctionName = (prefix: string) => `${prefix}spend`

/**
 * The function's parameters, in order, with their types: the statement that calls it casts
 * each, so a prepared call needs no type inference.
 */
export const PG_SPEND_PARAMETERS = [
  ['key', 'text'],
  ['key_version', 'bigint'],
  ['organisation', 'text'],
  ['organisation_version', 'bigint'],
  ['now', 'float8'],
  ['cost', 'float8'],
  ['names', 'text[]'],
  ['limits', 'float8[]'],
  ['windows', 'float8[]'],
  ['shared', 'boolean[]'],
  ['initial', 'float8'],
  ['generation', 'float8'],
  ['refill_amount', 'float8'],
  ['refill_interval', 'float8'],
  ['refill_from', 'float8'],
  ['events', 'text'],
  ['fence_ms', 'float8'],
] as const

/** A parameter's name as the store binds it. */
export type PgSpendParameter = (typeof PG_SPEND_PARAMETERS)[number][0]

/**
 * `CREATE FUNCTION <prefix>spend(…) RETURNS text`. Arguments: the key and its version, the
 * organisation and its version; the plan (`now`, `cost`, each bucket's name, limit, window and
 * whether it is the organisation's, in plan order; the credits rule, `initial` null for none,
 * `refill_amount` null for no refill); the events to record if the spend empties the balance
 * (JSON, as `pgEventsParam` makes it); and the ms left before the caller's deadline (null: no
 * fence). The key's row is locked (`FOR UPDATE`), and the organisation's only when a bucket is
 * the organisation's, so spends of different keys never wait for each other otherwise.
 *
 * Answers JSON text: `{"o":"stale"}` when a version moved or a row is gone, else
 * `{"o": outcome, "r": [remaining…], "t": [resetAt…], "c": credits or null, "w": retryAfterMs
 * or null, "e": emptied}`, the buckets in plan order.
 *
 * The fence, as `statement_timeout` would, counts from the statement's arrival: lock waits are
 * bounded by `lock_timeout` set to the time left (55P03 past it), and a spend whose work ended
 * past its time raises 57014, rolling everything back. `extra_float_digits = 3` makes every
 * float8 written to JSON exact whatever the session's setting (shortest round-trip text from
 * PostgreSQL 12, 17 digits before).
 */
export function pgSpendFunction(names: TableNames, prefix: string): string {
  const keys = `"${names.keys}"`
  const organisations = `"${names.organisations}"`
  const events = `"${names.events}"`
  const parameters = PG_SPEND_PARAMETERS.map(([name, type]) => `p_${name} ${type}`).join(', ')
  return `
create or replace function "${pgSpendFunctionName(prefix)}"(${parameters})
returns text language plpgsql set extra_float_digits = 3 as $spend$
declare
  epsilon constant float8 := 1e-6;
  n int := coalesce(array_length(p_names, 1), 0);
  any_shared boolean := coalesce(true = any(p_shared), false);
  k_version bigint; k_owner text; k_counters jsonb;
  o_version bigint; o_counters jsonb;
  k_buckets jsonb; o_buckets jsonb;
  v_unit float8; v_stored float8; v_start float8; v_tat float8; v_after float8; v_wait float8;
  starts float8[] := '{}'; tats float8[] := '{}';
  remaining float8[] := '{}'; reset_at float8[] := '{}';
  v_refused boolean := false; v_unbounded boolean := false; v_retry float8;
  b_generation float8; b_remaining float8; b_refilled float8; v_boundary float8; v_passed float8;
  v_c jsonb; v_outcome text; v_spent boolean; v_credits float8; v_emptied boolean := false;
  next_key jsonb := '{}'; next_shared jsonb;
begin
  if p_fence_ms is not null then
    perform set_config('lock_timeout', greatest(1, ceil(p_fence_ms))::bigint::text, true);
  end if;
  select version, organisation, counters::jsonb into k_version, k_owner, k_counters
    from ${keys} where id = p_key for update;
  if not found or k_version <> p_key_version or k_owner <> p_organisation then
    return '{"o":"stale"}';
  end if;
  if any_shared then
    select version, counters::jsonb into o_version, o_counters
      from ${organisations} where id = p_organisation for update;
  else
    select version into o_version from ${organisations} where id = p_organisation;
  end if;
  if not found or o_version <> p_organisation_version then
    return '{"o":"stale"}';
  end if;
  k_buckets := coalesce(k_counters -> 'buckets', '{}');
  o_buckets := coalesce(o_counters -> 'buckets', '{}');

  -- take(): every bucket, from its stored TAT (absent: full).
  for i in 1 .. n loop
    v_unit := p_windows[i] / p_limits[i];
    v_stored := ((case when p_shared[i] then o_buckets else k_buckets end) ->> p_names[i])::float8;
    v_start := case when v_stored is null or v_stored < p_now then p_now else v_stored end;
    v_tat := v_start + p_cost * v_unit;
    starts[i] := v_start;
    tats[i] := v_tat;
    if not (v_tat - p_now <= p_windows[i] + epsilon) then
      v_refused := true;
      if p_cost > p_limits[i] then
        v_unbounded := true;
      else
        v_wait := ceil(v_tat - p_windows[i] - p_now - epsilon);
        if v_retry is null or v_wait > v_retry then v_retry := v_wait; end if;
      end if;
    end if;
  end loop;

  -- balanceAt(): the counter's balance, or the rule's when it holds none or an older setting;
  -- replaced by the refill amount at each boundary passed since it was last refilled.
  if p_initial is not null then
    v_c := k_counters -> 'credits';
    if v_c is not null and jsonb_typeof(v_c) = 'object'
        and (v_c ->> 'generation')::float8 = p_generation then
      b_generation := (v_c ->> 'generation')::float8;
      b_remaining := (v_c ->> 'remaining')::float8;
      b_refilled := (v_c ->> 'refilledAt')::float8;
    else
      b_generation := p_generation;
      b_remaining := p_initial;
      b_refilled := p_refill_from;
    end if;
    if p_refill_amount is not null and p_now >= p_refill_from then
      v_boundary := p_refill_from
        + floor((p_now - p_refill_from) / p_refill_interval) * p_refill_interval;
      if v_boundary > b_refilled then
        b_generation := p_generation;
        b_remaining := p_refill_amount;
        b_refilled := v_boundary;
      end if;
    end if;
    v_credits := b_remaining;
  end if;

  -- Buckets first, then credits; only when all allow is anything taken.
  if v_refused then
    v_outcome := 'rate_limited';
    if v_unbounded then v_retry := null; end if;
  elsif p_initial is not null and b_remaining < p_cost then
    v_outcome := 'credits_exhausted';
    -- nextRefill() - now
    if p_refill_amount is null then
      v_retry := null;
    elsif p_now < p_refill_from then
      v_retry := p_refill_from + p_refill_interval - p_now;
    else
      v_passed := floor((p_now - p_refill_from) / p_refill_interval) + 1;
      v_retry := p_refill_from + v_passed * p_refill_interval - p_now;
    end if;
  else
    v_outcome := 'spent';
    v_retry := null;
  end if;
  v_spent := v_outcome = 'spent';

  -- Each bucket's state: once the units are taken (spent), else as it stands.
  for i in 1 .. n loop
    v_unit := p_windows[i] / p_limits[i];
    v_after := case when v_spent then tats[i] else starts[i] end;
    remaining[i] := greatest(0, floor((p_now + p_windows[i] - v_after) / v_unit + epsilon));
    reset_at[i] := ceil(v_after - epsilon);
  end loop;

  if v_spent then
    -- The key keeps its own buckets only; the organisation every bucket still filling.
    for i in 1 .. n loop
      if not p_shared[i] then
        next_key := next_key || jsonb_build_object(p_names[i], tats[i]);
      end if;
    end loop;
    if p_initial is not null then
      v_credits := b_remaining - p_cost;
      v_emptied := p_cost > 0 and v_credits = 0;
      v_c := jsonb_build_object(
        'generation', b_generation, 'remaining', v_credits, 'refilledAt', b_refilled);
    else
      v_c := coalesce(k_counters -> 'credits', 'null'::jsonb);
    end if;
    update ${keys} set counters = jsonb_build_object('buckets', next_key, 'credits', v_c)::text
      where id = p_key;
    if any_shared then
      select coalesce(jsonb_object_agg(e.key, e.value), '{}') into next_shared
        from jsonb_each(o_buckets) as e where e.value::float8 > p_now;
      for i in 1 .. n loop
        if p_shared[i] then
          next_shared := next_shared || jsonb_build_object(p_names[i], tats[i]);
        end if;
      end loop;
      update ${organisations} set counters = jsonb_build_object(
          'buckets', next_shared,
          'credits', coalesce(o_counters -> 'credits', 'null'::jsonb))::text
        where id = p_organisation;
    end if;
    if v_emptied and p_events is not null then
      insert into ${events} (id, subject_kind, subject_id, stream, seq, available_at, body)
        select x.id, x.subject_kind, x.subject_id, x.stream, x.seq, x.available_at, x.body
        from json_to_recordset(p_events::json) as x(id text, subject_kind text,
          subject_id text, stream text, seq bigint, available_at bigint, body text);
    end if;
  end if;

  if p_fence_ms is not null
      and extract(epoch from clock_timestamp() - statement_timestamp()) * 1000 >= p_fence_ms then
    raise exception 'spend: past its deadline' using errcode = '57014';
  end if;
  return json_build_object('o', v_outcome, 'r', remaining, 't', reset_at, 'c', v_credits,
    'w', v_retry, 'e', v_emptied)::text;
end
$spend$`
}

/** `DROP FUNCTION` of {@link pgSpendFunction}, for the migration's `down`. */
export function dropPgSpendFunction(prefix: string): string {
  const types = PG_SPEND_PARAMETERS.map(([, type]) => type).join(', ')
  return `drop function if exists "${pgSpendFunctionName(prefix)}"(${types})`
}
