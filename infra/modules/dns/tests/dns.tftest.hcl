mock_provider "aws" {
  source = "../../mocks"
}

variables {
  zone_id     = "Z0123456789ABCDEFGHIJ"
  domain_name = "polls.example.com"
  lb_dns_name = "pollstack-test-123.us-east-1.elb.amazonaws.com"
  lb_zone_id  = "Z35SXDOTRQ7X7K"
}

run "certificate_validated_by_dns_and_alias_to_alb" {
  command = apply

  assert {
    condition     = aws_acm_certificate.this.validation_method == "DNS" && aws_acm_certificate.this.domain_name == "polls.example.com"
    error_message = "the certificate is validated through DNS"
  }

  assert {
    condition     = aws_route53_record.validation["polls.example.com"].name == "_abc.polls.example.com." && aws_route53_record.validation["polls.example.com"].records == toset(["_def.acm-validations.aws."])
    error_message = "the validation record is the one ACM asks for"
  }

  assert {
    condition     = aws_route53_record.alias.alias[0].name == var.lb_dns_name && aws_route53_record.alias.alias[0].zone_id == var.lb_zone_id
    error_message = "the site's name is an alias of the load balancer"
  }

  assert {
    condition     = output.certificate_arn == aws_acm_certificate.this.arn
    error_message = "the module hands out the validated certificate"
  }
}

run "rejects_trailing_dot" {
  command = plan

  variables {
    domain_name = "polls.example.com."
  }

  expect_failures = [var.domain_name]
}
