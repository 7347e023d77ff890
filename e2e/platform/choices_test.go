//go:build integration

package platform

// Each environment's choices, read from what its variable file deploys:
// the resources and their settings in the applied state, not the values of
// the variables. Breaking a choice in lean.tfvars or enterprise.tfvars (or
// in a module) fails these tests.

import (
	"sort"
	"strings"
	"testing"
)

func list(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func field(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func ids(rs []resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.str("id"))
	}
	sort.Strings(out)
	return out
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func subnets(s *stack, tier string) []resource {
	var out []resource
	for _, r := range s.all("aws_subnet") {
		if strings.HasPrefix(r.Address, "module.stack.module.network.aws_subnet."+tier+"[") {
			out = append(out, r)
		}
	}
	return out
}

// lean: Fargate Spot only, tasks in public subnets with public IPs, no NAT.
func TestLeanChoices(t *testing.T) {
	s := render(t, "lean")
	svc := s.one(t, "module.stack.module.compute.aws_ecs_service.app")
	strategy := list(svc.Values["capacity_provider_strategy"])
	if len(strategy) == 0 {
		t.Error("lean: the service names no capacity provider")
	}
	for _, c := range strategy {
		if field(c, "capacity_provider") != "FARGATE_SPOT" {
			t.Errorf("lean runs on Fargate Spot only; the service also uses %v", c)
		}
	}
	cps := s.one(t, "module.stack.module.compute.aws_ecs_cluster_capacity_providers.this")
	for _, c := range list(cps.Values["default_capacity_provider_strategy"]) {
		if field(c, "capacity_provider") != "FARGATE_SPOT" {
			t.Errorf("lean: the cluster's default strategy uses %v", c)
		}
	}
	nc := list(svc.Values["network_configuration"])
	if len(nc) != 1 {
		t.Fatalf("lean: the service has %d network configurations", len(nc))
	}
	if public, _ := nc[0]["assign_public_ip"].(bool); !public {
		t.Error("lean: tasks in public subnets need public IPs to pull the image without NAT")
	}
	if got, want := strs(nc[0]["subnets"]), ids(subnets(s, "public")); !sameSet(got, want) {
		t.Errorf("lean runs tasks in the public subnets %v; the service uses %v", want, got)
	}
	if n := len(s.all("aws_nat_gateway")); n != 0 {
		t.Errorf("lean has no NAT gateway; found %d", n)
	}
	if n := len(s.all("aws_vpc_endpoint")); n != 1 || s.all("aws_vpc_endpoint")[0].str("vpc_endpoint_type") != "Gateway" {
		t.Errorf("lean has only the (free) S3 gateway endpoint; found %d endpoints", n)
	}
}

// enterprise: a NAT gateway per zone, Multi-AZ database, deletion
// protection, WAF, flow logs, HTTPS only, interface endpoints.
func TestEnterpriseChoices(t *testing.T) {
	s := render(t, "enterprise")

	// A NAT gateway in each zone's public subnet, and each zone's private
	// route table sending its traffic to the NAT of that zone.
	public, private := subnets(s, "public"), subnets(s, "private")
	nats := s.all("aws_nat_gateway")
	if len(nats) != len(public) || len(nats) < 2 {
		t.Errorf("enterprise has a NAT gateway per zone: %d NAT gateways for %d zones", len(nats), len(public))
	}
	zoneOfSubnet := map[string]string{}
	for _, sn := range append(public, private...) {
		zoneOfSubnet[sn.str("id")] = sn.str("availability_zone")
	}
	zoneOfNAT := map[string]string{}
	for _, n := range nats {
		zoneOfNAT[n.str("id")] = zoneOfSubnet[n.str("subnet_id")]
	}
	if len(zoneOfNAT) != len(nats) {
		t.Errorf("enterprise: NAT gateways share a zone: %v", zoneOfNAT)
	}
	zoneOfTable := map[string]string{}
	for _, a := range s.all("aws_route_table_association") {
		zoneOfTable[a.str("route_table_id")] = zoneOfSubnet[a.str("subnet_id")]
	}
	routed := 0
	for _, r := range s.all("aws_route") {
		if nat := r.str("nat_gateway_id"); nat != "" {
			routed++
			if zoneOfNAT[nat] != zoneOfTable[r.str("route_table_id")] {
				t.Errorf("enterprise: a private route table in %s goes out through the NAT gateway of %s", zoneOfTable[r.str("route_table_id")], zoneOfNAT[nat])
			}
		}
	}
	if routed != len(private) {
		t.Errorf("enterprise: %d private subnets, %d routes through NAT", len(private), routed)
	}
	svc := s.one(t, "module.stack.module.compute.aws_ecs_service.app")
	if nc := list(svc.Values["network_configuration"]); len(nc) != 1 || !sameSet(strs(nc[0]["subnets"]), ids(private)) || nc[0]["assign_public_ip"] == true {
		t.Errorf("enterprise runs tasks in the private subnets without public IPs: %v", nc)
	}

	db := s.one(t, "module.stack.module.database.aws_db_instance.this")
	if db.Values["multi_az"] != true {
		t.Error("enterprise: the database is not Multi-AZ")
	}
	if db.Values["deletion_protection"] != true {
		t.Error("enterprise: the database has no deletion protection")
	}
	lb := s.one(t, "module.stack.module.edge.aws_lb.this")
	if lb.Values["enable_deletion_protection"] != true {
		t.Error("enterprise: the load balancer has no deletion protection")
	}

	acl := s.one(t, "module.stack.module.edge.aws_wafv2_web_acl.this")
	if a := s.one(t, "module.stack.module.edge.aws_wafv2_web_acl_association.this"); a.str("resource_arn") != lb.str("arn") || a.str("web_acl_arn") != acl.str("arn") {
		t.Errorf("enterprise: the web ACL is not on the load balancer: %v", a.Values)
	}
	s.one(t, "module.stack.module.edge.aws_wafv2_web_acl_logging_configuration.this")

	fl := s.one(t, "module.stack.module.network.aws_flow_log.this")
	if fl.str("vpc_id") != vpcID || fl.str("traffic_type") != "ALL" {
		t.Errorf("enterprise: flow logs record all traffic of the VPC: %v", fl.Values)
	}

	// HTTPS only: a TLS listener with the certificate, and port 80 only
	// redirects to it.
	var https, redirect bool
	for _, l := range s.all("aws_lb_listener") {
		switch l.Values["port"] {
		case float64(443):
			https = l.str("protocol") == "HTTPS" && l.str("certificate_arn") != ""
		case float64(80):
			for _, a := range list(l.Values["default_action"]) {
				for _, r := range list(a["redirect"]) {
					redirect = field(a, "type") == "redirect" && field(r, "protocol") == "HTTPS" && field(r, "port") == "443"
				}
			}
		}
	}
	if !https || !redirect {
		t.Errorf("enterprise serves HTTPS only: TLS listener %v, port 80 redirects %v", https, redirect)
	}

	var endpoints []string
	for _, e := range s.all("aws_vpc_endpoint") {
		if e.str("vpc_endpoint_type") == "Interface" {
			endpoints = append(endpoints, e.str("service_name"))
		}
	}
	want := []string{"com.amazonaws.us-east-1.ecr.api", "com.amazonaws.us-east-1.ecr.dkr", "com.amazonaws.us-east-1.logs", "com.amazonaws.us-east-1.secretsmanager", "com.amazonaws.us-east-1.sts"}
	if !sameSet(endpoints, want) {
		t.Errorf("enterprise: interface endpoints %v, want %v", endpoints, want)
	}
}
