"""Product reports: the auditor's HTML report and clerical review."""
