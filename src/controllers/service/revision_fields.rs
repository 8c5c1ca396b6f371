//! Checks of `monitoring` and `gatewayConnectors` before any AWS call; pure (docs/ecs-behaviour.md, entries 150
//! and 151). Only what AWS documents is refused: metric names and resolutions, and one gateway connector at most.

use crate::api::EcsServiceSpec;

/// The metrics whose resolution `monitoring` sets (API_MetricConfiguration).
const METRICS: [&str; 2] = ["CPUUtilization", "MemoryUtilization"];
/// Their resolutions, in seconds (API_MetricConfiguration).
const RESOLUTIONS: [i32; 2] = [20, 60];
/// "A service can have at most one gateway connector" (API_GatewayConnector).
const MAX_GATEWAY_CONNECTORS: usize = 1;

pub fn check(spec: &EcsServiceSpec) -> Result<(), String> {
    let configurations = spec
        .monitoring
        .as_ref()
        .and_then(|m| m.metric_configurations.as_deref())
        .unwrap_or_default();
    for (i, metric) in configurations.iter().enumerate() {
        let field = format!("spec.monitoring.metricConfigurations[{i}]");
        if metric.metric_names.is_empty() {
            return Err(format!(
                "{field}.metricNames: name CPUUtilization and/or MemoryUtilization"
            ));
        }
        if let Some((j, name)) = metric
            .metric_names
            .iter()
            .enumerate()
            .find(|(_, n)| !METRICS.contains(&n.as_str()))
        {
            return Err(format!(
                "{field}.metricNames[{j}]: {name} is not CPUUtilization or MemoryUtilization"
            ));
        }
        if !RESOLUTIONS.contains(&metric.resolution_seconds) {
            return Err(format!(
                "{field}.resolutionSeconds: {} is neither 20 nor 60",
                metric.resolution_seconds
            ));
        }
    }
    let connectors = spec.gateway_connectors.as_deref().unwrap_or_default();
    if connectors.len() > MAX_GATEWAY_CONNECTORS {
        return Err(format!(
            "spec.gatewayConnectors: {} connectors given; a service can have at most one",
            connectors.len()
        ));
    }
    if let Some(i) = connectors.iter().position(|c| c.port_name.is_empty()) {
        return Err(format!(
            "spec.gatewayConnectors[{i}].portName is required: the name of the task definition's port mapping \
             that receives the gateway's traffic"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> EcsServiceSpec {
        serde_yaml::from_str(&format!("cluster: main\ntaskDefinition: web\n{yaml}")).unwrap()
    }

    #[test]
    fn accepts_what_ecs_documents_and_names_the_field_of_each_mistake() {
        let valid = "monitoring: {metricConfigurations: [{metricNames: [CPUUtilization, MemoryUtilization], \
                     resolutionSeconds: 20}]}\ngatewayConnectors: [{portName: http, healthCheck: \
                     {healthCheckProtocol: HTTP, healthCheckPath: /health}, filters: {accessTypes: [PUBLIC]}}]\n";
        assert_eq!(check(&spec(valid)), Ok(()));
        assert_eq!(check(&spec("")), Ok(()));
        let cases = [
            (
                "monitoring: {metricConfigurations: [{metricNames: [DiskUtilization], resolutionSeconds: 60}]}\n",
                "metricConfigurations[0].metricNames[0]: DiskUtilization",
            ),
            (
                "monitoring: {metricConfigurations: [{metricNames: [CPUUtilization], resolutionSeconds: 30}]}\n",
                "metricConfigurations[0].resolutionSeconds: 30 is neither 20 nor 60",
            ),
            (
                "monitoring: {metricConfigurations: [{metricNames: [], resolutionSeconds: 60}]}\n",
                "metricConfigurations[0].metricNames",
            ),
            (
                "gatewayConnectors: [{portName: a}, {portName: b}]\n",
                "spec.gatewayConnectors: 2 connectors given; a service can have at most one",
            ),
            (
                "gatewayConnectors: [{portName: ''}]\n",
                "spec.gatewayConnectors[0].portName is required",
            ),
        ];
        for (yaml, expected) in cases {
            let err = check(&spec(yaml)).unwrap_err();
            assert!(err.contains(expected), "{yaml}: {err}");
        }
    }
}
