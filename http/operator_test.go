package http_test

import (
	"strings"
	"testing"
)

// TestRevokeLastOperator checks that the API will not leave the installation
// without an operator: the operator revoking itself, the only one, is 409.
func TestRevokeLastOperator(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	_, list := call(t, "GET", u+"/v1/principals", "", nil)
	var id string
	for _, p := range list["principals"].([]any) {
		if p := p.(map[string]any); p["name"] == "operator" {
			id = p["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no operator in %v", list)
	}
	status, body := call(t, "DELETE", u+"/v1/principals/"+id, "", nil)
	if status != 409 || errCode(body) != "conflict" || !strings.Contains(errMessage(body), "last operator; create another operator first") {
		t.Fatalf("DELETE the last operator = %d %v, want 409 conflict naming the last operator", status, body)
	}
	if status, body := call(t, "GET", u+"/v1/principals", "", nil); status != 200 {
		t.Fatalf("the operator's token after the refusal: %d %v, want 200", status, body)
	}
}
