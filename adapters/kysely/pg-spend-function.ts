import type { TableNames } from './schema'

// PostgreSQL's spend, as a function created by migration 0005, so that a verification with
// limits or credits spends in one statement, one round trip: the version checks, the counters'
// arithmetic and its writes, and the events of an emptied balance. The arithmetic is a
// line-by-line translation of `spendCounters` (src/core/counters.ts): the buckets in bigint,
// whose division is exact (ceil as (a + b - 1) / b for the non-negative a it is given), the
// credits in float8 holding integers, so each answer is the one the memory store gives.
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
  ['now', 'bigint'],
  ['cost', 'bigint'],
  ['names', 'text[]'],
  ['limits', 'bigint[]'],
  ['windows', 'bigint[]'],
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
  n int := coalesce(array_length(p_names, 1), 0);
  any_shared boolean := coalesce(true = any(p_shared), false);
  k_version bigint; k_owner text; k_counters jsonb;
  o_version bigint; o_counters jsonb;
  k_buckets jsonb; o_buckets jsonb;
  v_cap bigint; v_b jsonb; v_at bigint; v_debt bigint; v_need bigint; v_held bigint;
  v_wait bigint;
  ats bigint[] := '{}'; debts bigint[] := '{}'; needs bigint[] := '{}';
  remaining bigint[] := '{}'; reset_at bigint[] := '{}';
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

  -- take(): every bucket, from its stored use (absent, or counted under another limit: full).
  for i in 1 .. n loop
    v_cap := p_windows[i] * p_limits[i];
    v_at := p_now;
    v_debt := 0;
    v_b := (case when p_shared[i] then o_buckets else k_buckets end) -> p_names[i];
    if v_b is not null and jsonb_typeof(v_b) = 'object'
        and (v_b ->> 'limit')::bigint = p_limits[i] then
      if p_now <= (v_b ->> 'at')::bigint then
        v_at := (v_b ->> 'at')::bigint;
        v_debt := (v_b ->> 'debt')::bigint;
      elsif p_now - (v_b ->> 'at')::bigint < p_windows[i] then
        v_debt := greatest(0,
          (v_b ->> 'debt')::bigint - (p_now - (v_b ->> 'at')::bigint) * p_limits[i]);
      end if;
    end if;
    v_need := greatest(0, v_debt + p_cost * p_windows[i]);
    ats[i] := v_at;
    debts[i] := v_debt;
    needs[i] := v_need;
    if v_need > v_cap then
      v_refused := true;
      if p_cost > p_limits[i] then
        v_unbounded := true;
      else
        v_wait := v_at - p_now + (v_need - v_cap + p_limits[i] - 1) / p_limits[i];
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
    if p_refill_amount is not null and p_now >= p_refill_from + p_refill_interval then
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
    v_held := case when v_spent then needs[i] else debts[i] end;
    remaining[i] := (p_windows[i] * p_limits[i] - v_held) / p_windows[i];
    reset_at[i] := ats[i] + (v_held + p_limits[i] - 1) / p_limits[i];
  end loop;

  if v_spent then
    -- The key keeps its own buckets only; the organisation every bucket still filling.
    for i in 1 .. n loop
      if not p_shared[i] then
        next_key := next_key || jsonb_build_object(p_names[i],
          jsonb_build_object('at', ats[i], 'debt', needs[i], 'limit', p_limits[i]));
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
      -- Buckets still in use (at + ⌈debt / limit⌉ > now); a full one is an absent one.
      select coalesce(jsonb_object_agg(e.key, e.value), '{}') into next_shared
        from jsonb_each(o_buckets) as e
        where jsonb_typeof(e.value) = 'object'
          and (e.value ->> 'at')::bigint + ((e.value ->> 'debt')::bigint
            + (e.value ->> 'limit')::bigint - 1) / (e.value ->> 'limit')::bigint > p_now;
      for i in 1 .. n loop
        if p_shared[i] then
          next_shared := next_shared || jsonb_build_object(p_names[i],
            jsonb_build_object('at', ats[i], 'debt', needs[i], 'limit', p_limits[i]));
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
