mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name                = "pollstack-test"
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-0a", "subnet-0b"]
  security_group_ids  = ["sg-0alb"]
  certificate_arn     = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  waf_log_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "https_with_redirect" {
  command = apply

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    error_message = "with a certificate, HTTP only redirects to HTTPS"
  }

  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" && aws_lb_listener.https[0].certificate_arn == var.certificate_arn
    error_message = "the HTTPS listener uses the TLS 1.3 policy and the given certificate"
  }

  assert {
    condition     = aws_lb.this.drop_invalid_header_fields && aws_lb.this.desync_mitigation_mode == "defensive" && aws_lb.this.enable_deletion_protection
    error_message = "invalid headers dropped, desync mitigation on, deletion protection on"
  }

  assert {
    condition     = aws_lb_target_group.app.health_check[0].path == "/readyz" && aws_lb_target_group.app.deregistration_delay == "30"
    error_message = "health check on /readyz, deregistration delay of 30 s (inside the two-minute Spot warning)"
  }

  assert {
    condition     = aws_lb.this.access_logs[0].enabled && aws_lb.this.access_logs[0].bucket == aws_s3_bucket.access_logs[0].id
    error_message = "access logs go to the module's bucket by default"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.access_logs[0].block_public_policy && aws_s3_bucket_public_access_block.access_logs[0].restrict_public_buckets
    error_message = "the access log bucket is private"
  }

  assert {
    condition     = length([for s in jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement : s if s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"]) == 1
    error_message = "the access log bucket refuses requests without TLS"
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].resource_arn == aws_lb.this.arn
    error_message = "WAF protects the load balancer by default"
  }

  assert {
    condition     = output.request_count_resource_label == "app/pollstack-test/0123456789abcdef/targetgroup/pollstack-test-app/0123456789abcdef"
    error_message = "the autoscaling resource label joins the two ARN suffixes"
  }
}

run "plain_http_when_asked" {
  command = plan

  variables {
    enable_https       = false
    certificate_arn    = null
    enable_access_logs = false
    enable_waf         = false
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && aws_lb_listener.http.default_action[0].type == "forward"
    error_message = "without HTTPS, port 80 forwards to the app"
  }

  assert {
    condition     = length(aws_s3_bucket.access_logs) == 0 && length(aws_wafv2_web_acl.this) == 0
    error_message = "access logs and WAF can be turned off"
  }
}

run "https_needs_a_certificate" {
  command = plan

  variables {
    certificate_arn = null
  }

  expect_failures = [aws_lb_listener.https]
}

run "rejects_long_deregistration_delay" {
  command = plan

  variables {
    deregistration_delay = 300
  }

  expect_failures = [var.deregistration_delay]
}

run "rejects_old_tls_policy" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}

# No token in the WAF logs: the admin token travels in Authorization, and a
# token in a URL would sit in the query string.
run "waf_logs_redact_credentials" {
  command = apply

  assert {
    condition     = toset([for f in aws_wafv2_web_acl_logging_configuration.this[0].redacted_fields : try(f.single_header[0].name, length(f.query_string) > 0 ? "?query" : "")]) == toset(["cookie", "authorization", "?query"])
    error_message = "WAF logging must redact the cookie and authorization headers and the query string"
  }

  assert {
    condition = one([
      for st in jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement : st.Principal
      if st.Effect == "Allow" && st.Action == "s3:PutObject"
    ]) == { Service = "logdelivery.elasticloadbalancing.amazonaws.com" }
    error_message = "ALB access logs are written by the log delivery service principal, not the legacy ELB account"
  }
}
