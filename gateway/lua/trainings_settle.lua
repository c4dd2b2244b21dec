-- trainings_settle: turn a processing reservation into its task, or drop
-- it, when it is still ours.
--
-- KEYS[1] training_key  e:{O}:training:<app>  hash
-- ARGV[1] reservation ("reserved:<hex>"), ARGV[2] task ("" to drop the
-- reservation).
-- Returns 1, or 0 when the reservation had expired or been replaced.
--
--@setup HSET e:{o}:training:a processingTask reserved:abc processingUntil 1
--@keys e:{o}:training:a
--@args reserved:abc t1
--@expect 1
--@check HGET e:{o}:training:a processingTask = t1
local training_key = KEYS[1]
local reservation, task = ARGV[1], ARGV[2]

if redis.call('HGET', training_key, 'processingTask') ~= reservation then
  return 0
end
redis.call('HDEL', training_key, 'processingUntil')
if task == '' then
  redis.call('HDEL', training_key, 'processingTask')
else
  redis.call('HSET', training_key, 'processingTask', task)
end
return 1
