package statement_test

import "encoding/base64"

func b64decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
