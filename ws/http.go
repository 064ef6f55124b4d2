package ws

import "encoding/json"

// HTTPError is the REST error body of §11.1 with its status. The error is
// normalised by AsError; a code REST never uses becomes INTERNAL 500.
// RATE_LIMITED carries retry_after_ms in details (§10); RECOVERY_THROTTLED
// is 429 for details.reason "hourly_limit", else 409.
func HTTPError(err error, correlationID string) (status int, body []byte) {
	e := AsError(err)
	status = HTTPStatus(string(e.Code))
	if status == 0 {
		e, status = NewError(CodeInternal, nil, internalMessage), HTTPStatus(string(CodeInternal))
	}
	switch e.Code {
	case CodeRateLimited:
		e.Details["retry_after_ms"], _ = e.retryAfter()
	case CodeRecoveryThrottled:
		if e.Details["reason"] == "hourly_limit" {
			status = codeIndex[string(e.Code)].HTTPAlt
		}
	}
	body, mErr := json.Marshal(map[string]ErrorData{"error": {
		Code: string(e.Code), Message: e.Message, Details: e.Details, CorrelationID: correlationID}})
	if mErr != nil {
		// Details that do not marshal are a server bug: answer INTERNAL.
		return HTTPError(nil, correlationID)
	}
	return status, body
}
