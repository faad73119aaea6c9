"""Inputs shared by the security tests: a readout, hostile markup and the test password."""

PASSWORD = "correct horse battery staple"
READOUT = (
    "Secretary Blinken met Foreign Minister Wang Yi in Beijing on Friday. "
    "They discussed counternarcotics cooperation and Taiwan."
)
SCRIPT = "<script>alert(1)</script>"
HANDLER = '<img src=x onerror="alert(2)">'
