SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS crash_count
FROM logs
WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical')
GROUP BY window(timestamp, '10 seconds'), user_id
HAVING count(*) > 2;