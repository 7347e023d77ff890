output "lb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "lb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "lb_zone_id" {
  description = "Route 53 hosted zone ID of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "ARN of the app's target group."
  value       = aws_lb_target_group.app.arn
}

output "request_count_resource_label" {
  description = "`<load balancer ARN suffix>/<target group ARN suffix>`, for ALBRequestCountPerTarget autoscaling."
  value       = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.app.arn_suffix}"
}

output "access_logs_bucket" {
  description = "Name of the access log bucket, or null when access logs are off."
  value       = one(aws_s3_bucket.access_logs[*].id)
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL, or null when WAF is off."
  value       = one(aws_wafv2_web_acl.this[*].arn)
}

output "scheme" {
  description = "`https` when the HTTPS listener is on, otherwise `http`."
  value       = var.enable_https ? "https" : "http"
}

output "deregistration_delay" {
  description = "Seconds the target group keeps a removed task's in-flight requests; the app's drain period must equal it."
  value       = tonumber(aws_lb_target_group.app.deregistration_delay)
}

output "lb_arn_suffix" {
  description = "ARN suffix of the load balancer (`app/NAME/ID`), the LoadBalancer dimension of its metrics."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the app's target group (`targetgroup/NAME/ID`), the TargetGroup dimension of its metrics."
  value       = aws_lb_target_group.app.arn_suffix
}

output "web_acl_name" {
  description = "Name of the WAF web ACL, or null when WAF is off."
  value       = one(aws_wafv2_web_acl.this[*].name)
}
