output "certificate_arn" {
  description = "ARN of the validated ACM certificate (available once DNS validation has completed)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "fqdn" {
  description = "The site's name, aliased to the load balancer."
  value       = aws_route53_record.alias.fqdn
}
