package http_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/probity-dev/probity"
)

// TestAuthorizationScheme checks that the Authorization header is read as
// RFC 6750 has it: the Bearer scheme in any case, then one or more spaces,
// then the token; a bare token or another scheme is refused with 401 saying
// what to send, and the refusal is recorded like any bad token's.
func TestAuthorizationScheme(t *testing.T) {
	srv, _ := startServerWith(t, nil, 0)
	u := srv.URL()
	token := issue(t, "operator", false, probity.Grant{Role: probity.RoleOperator})
	const sendBearer = "send Authorization: Bearer <token>"
	tests := []struct {
		name, auth string
		status     int
		want       string // what the 401 says
	}{
		{"OK", "Bearer " + token, 200, ""},
		{"OKLowerCase", "bearer " + token, 200, ""},
		{"OKUpperCase", "BEARER " + token, 200, ""},
		{"OKSpaces", "Bearer   " + token, 200, ""},
		{"ErrBareToken", token, 401, "Authorization has a token without its scheme; " + sendBearer},
		{"ErrBasic", "Basic b3BlcmF0b3I6c2VjcmV0", 401, "Authorization: only the Bearer scheme is accepted; " + sendBearer},
		{"ErrNoToken", "Bearer", 401, "Authorization: Bearer has no token; " + sendBearer},
		{"ErrNoSpace", "Bearer" + token, 401, sendBearer},
		{"ErrTab", "Bearer\t" + token, 401, sendBearer},
	}
	// the first refusal from this address is a leaf of its own; the rest
	// of the minute's, of the same kind, are one leaf with their count
	refused := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := logSize(t, u)
			status, body := send(t, tt.auth, "GET", u+"/v1/principals", "", "")
			if status != tt.status || !strings.Contains(errMessage(body), tt.want) {
				t.Fatalf("Authorization %q: %d %v, want %d %q", tt.name, status, body, tt.status, tt.want)
			}
			if strings.Contains(errMessage(body), token) {
				t.Errorf("the refusal quotes the token: %q", errMessage(body))
			}
			size, leaf := logSize(t, u)
			switch {
			case tt.status != 401:
			case refused == 0 && (size-before != 1 || leaf["action"] != "access.denied" || leaf["ref"] != "authenticate"):
				t.Errorf("the first refusal added %d leaves, the last %v; want one access.denied of authenticate", size-before, leaf)
			case refused > 0 && size != before:
				t.Errorf("refusal %d of the address added %d leaves; want it counted, for one leaf when the minute ends", refused+1, size-before)
			}
			if tt.status == 401 {
				refused++
			}
		})
	}
	t.Run("RefusalsCounted", func(t *testing.T) {
		before, _ := logSize(t, u)
		if _, err := svc.FlushRefusals(local(), true); err != nil {
			t.Fatal(err)
		}
		size, leaf := logSize(t, u)
		if want := fmt.Sprintf("refusals:%d", refused-1); size != before+1 || leaf["action"] != "access.denied" || leaf["ref"] != want {
			t.Fatalf("after the minute: %d leaves, the last %v; want one access.denied with ref %s", size-before, leaf, want)
		}
	})
	t.Run("WWWAuthenticate", func(t *testing.T) {
		req, _ := http.NewRequest("GET", u+"/v1/principals", nil)
		req.Header.Set("Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
			t.Fatalf("WWW-Authenticate = %q, want the Bearer challenge", got)
		}
	})
}

// TestJSONKeys checks that a JSON body with a key twice in one object (at
// any depth) or a key in the wrong case is refused with 400 naming the key,
// where encoding/json would keep the last value or match any case: a
// principal sent "government":true and then false was made non-government.
func TestJSONKeys(t *testing.T) {
	srv := startServer(t)
	u := srv.URL()
	call(t, "PUT", u+"/v1/domains/acme.lending", "application/yaml", lendingSpec(t))
	operator := bearer
	grants := `"grants":[{"role":"reader","domain":"acme.lending"}]`
	score := "/v1/domains/acme.lending/scores"
	tests := []struct {
		name, path, body, want string
	}{
		{"ErrDuplicate", "/v1/principals", `{"name":"desk","government":true,"government":false,` + grants + `}`,
			`request body: key "government" appears twice`},
		{"ErrDuplicateEscaped", "/v1/principals", `{"name":"desk","government":true,"gov\u0065rnment":false,` + grants + `}`,
			`request body: key "government" appears twice`},
		{"ErrDuplicateNested", "/v1/principals", `{"name":"desk","grants":[{"role":"reader","domain":"acme.lending","role":"admin"}]}`,
			`request body: key "role" appears twice`},
		{"ErrDuplicateInRawEvent", "/v1/domains/acme.lending/corrections", `{"key":"k1","reason":"typo","event":{"key":"k9","fields":{"amount":1,"amount":2}}}`,
			`request body: key "amount" appears twice`},
		{"ErrUpperCase", score, `{"SUBJECT":"` + alice + `","purpose":"collection"}`,
			`request body: unknown key "SUBJECT"; keys are lower case: "subject"`},
		{"ErrMixedCaseNested", "/v1/principals", `{"name":"desk","grants":[{"Role":"reader","domain":"acme.lending"}]}`,
			`request body: unknown key "Role"; keys are lower case: "role"`},
		{"ErrFoldedRune", score, `{"ſubject":"` + alice + `","purpose":"collection"}`,
			`request body: unknown key "ſubject"; keys are lower case: "subject"`},
		{"ErrUnknownStill", score, `{"subject":"` + alice + `","name":"x"}`,
			`request body: json: unknown field "name"; want a JSON object with "subject", "purpose" and optional "as_of" and "page"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.path, "/v1/domains/") {
				grantAll(t) // a lender's token, after the operator's
			}
			status, body := call(t, "POST", u+tt.path, "application/json", []byte(tt.body))
			if status != 400 || errCode(body) != "invalid" || errMessage(body) != tt.want {
				t.Fatalf("POST %s %s = %d %v, want 400 invalid %q", tt.path, tt.body, status, body, tt.want)
			}
		})
	}
	t.Run("OKSameKeyInTwoObjects", func(t *testing.T) {
		bearer = operator
		two := `{"name":"two desks","government":false,"grants":[{"role":"reader","domain":"acme.lending"},{"role":"reviewer","domain":"acme.lending"}]}`
		status, body := call(t, "POST", u+"/v1/principals", "application/json", []byte(two))
		if status != 201 {
			t.Fatalf("POST /v1/principals %s = %d %v, want 201", two, status, body)
		}
	})
}
