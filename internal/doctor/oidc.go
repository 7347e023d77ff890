package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// GitHubOIDCHost is the issuer of GitHub Actions' OIDC tokens.
const GitHubOIDCHost = "token.actions.githubusercontent.com"

// githubAudience is the only client id the provider must list.
const githubAudience = "sts.amazonaws.com"

func (d *deployment) checkOIDC(ctx context.Context) Check {
	list, err := d.iam.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return errored(OIDCAudience, fmt.Errorf("list OIDC providers: %w", err))
	}
	found := 0
	var faults []string
	for _, p := range list.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		if !strings.HasSuffix(arn, "oidc-provider/"+GitHubOIDCHost) {
			continue
		}
		found++
		out, err := d.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: p.Arn})
		if err != nil {
			return errored(OIDCAudience, fmt.Errorf("get OIDC provider %s: %w", arn, err))
		}
		if !audienceOK(out.ClientIDList) {
			faults = append(faults, fmt.Sprintf("the GitHub OIDC provider %s lists client ids %q, not exactly [%q], so GitHub Actions cannot assume the deploy role", arn, out.ClientIDList, githubAudience))
		}
	}
	switch {
	case len(faults) > 0:
		return failed(OIDCAudience, strings.Join(faults, "; "),
			`set the provider's client_id_list to exactly ["sts.amazonaws.com"] in module cicd and apply`)
	case found == 0:
		return failed(OIDCAudience,
			"no IAM OIDC provider for "+GitHubOIDCHost+" exists, so GitHub Actions cannot assume the deploy role",
			"apply module cicd, which creates the provider with client_id_list [\"sts.amazonaws.com\"]")
	}
	return ok(OIDCAudience, "the GitHub OIDC provider lists exactly [%q]", githubAudience)
}

func audienceOK(ids []string) bool {
	return len(ids) == 1 && ids[0] == githubAudience
}
