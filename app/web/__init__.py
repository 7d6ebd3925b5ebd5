"""Web plumbing both deployments use: error pages, security headers, logs without addresses
or times, and split sessions whose content the database alone cannot read."""
