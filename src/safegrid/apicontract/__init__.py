"""What every API and console request may carry and what every error answer looks like
(issue 12, ADR 0023): the request-body size limits, the bounds on request values (integers,
dates, periods, free text) and the one error model the OpenAPI document describes."""
