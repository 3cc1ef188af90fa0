SELECT source_ip, count(*) AS match_count FROM logs
WHERE lower(content) LIKE '%vulnerability%' AND severity = 'High'
GROUP BY source_ip ORDER BY match_count DESC -- Q1
