//! CPU and memory: reading `spec.cpu` and `spec.memory` (units, MiB, vCPU, GB), and the containers'
//! cpu and memory fitting in them.

use std::ops::RangeInclusive;

use super::common::container_path;
use crate::api::task_definition::TaskDefinitionSpec;

/// Task-level CPU units ECS accepts outside Fargate (0.125 to 192 vCPUs).
const EC2_TASK_CPU: RangeInclusive<u64> = 128..=196_608;

/// Parses `spec.cpu` (CPU units) and `spec.memory` (MiB), refusing what ECS cannot read.
pub(super) fn task_size(
    spec: &TaskDefinitionSpec,
    fargate: bool,
) -> Result<(Option<u64>, Option<u64>), String> {
    let cpu = spec
        .cpu
        .as_deref()
        .map(|value| {
            parse_amount(value, "vcpu").filter(|units| *units > 0).ok_or_else(|| {
                format!(
                    "spec.cpu: \"{value}\" is not a CPU amount; write CPU units such as \"1024\" or vCPUs such as \"1 vCPU\""
                )
            })
        })
        .transpose()?;
    let memory = spec
        .memory
        .as_deref()
        .map(|value| {
            parse_amount(value, "gb").filter(|mib| *mib > 0).ok_or_else(|| {
                format!(
                    "spec.memory: \"{value}\" is not a memory amount; write MiB such as \"2048\" or GB such as \"2 GB\""
                )
            })
        })
        .transpose()?;
    // RegisterTaskDefinition cpu, outside Fargate: "Supported values are between 128 CPU units (0.125 vCPUs) and
    // 196608 CPU units (192 vCPUs)." The amounts are read as its text says: "an integer using CPU units (for example,
    // 1024) or as a string using vCPUs (for example, 1 vCPU or 1 vcpu)", memory likewise in MiB or GB.
    if !fargate && let Some(units) = cpu.filter(|units| !EC2_TASK_CPU.contains(units)) {
        return Err(format!(
            "spec.cpu: {units} CPU units is outside 128-196608 (0.125-192 vCPUs), the range ECS accepts; choose a value in it or leave spec.cpu unset"
        ));
    }
    Ok((cpu, memory))
}

/// Parses `"<n>"` as is, or `"<n> <unit>"` / `"<n><unit>"` (unit case-insensitive) times 1024.
fn parse_amount(value: &str, unit: &str) -> Option<u64> {
    let text = value.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let suffix = suffix.trim();
    if suffix.is_empty() {
        return number.parse().ok();
    }
    if !suffix.eq_ignore_ascii_case(unit) {
        return None;
    }
    times_1024(number)
}

/// Multiplies a decimal number (such as `0.25`) by 1024, when the result is a whole number.
fn times_1024(number: &str) -> Option<u64> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let scale = 10u64.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let scaled = whole
        .checked_mul(scale)?
        .checked_add(fraction)?
        .checked_mul(1024)?;
    (scaled % scale == 0).then_some(scaled / scale)
}

/// Checks container memory against each other and against `spec.memory`.
pub(super) fn check_memory(
    spec: &TaskDefinitionSpec,
    task_memory: Option<u64>,
) -> Result<(), String> {
    let mut reserved = 0u64;
    for (i, container) in spec.container_definitions.iter().enumerate() {
        let path = container_path(i);
        // ContainerDefinition.memory: "If you specify both a container-level memory and memoryReservation value,
        // memory must be greater than memoryReservation."
        if let (Some(hard), Some(soft)) = (container.memory, container.memory_reservation)
            && soft > hard
        {
            return Err(format!(
                "{path}.memoryReservation: {soft} MiB is above memory ({hard} MiB); lower memoryReservation or raise memory"
            ));
        }
        // Entry 87: "At least one of 'memory' or 'memoryReservation' must be specified." without task memory.
        let Some(limit) = task_memory else {
            if container.memory.is_none() && container.memory_reservation.is_none() {
                return Err(format!(
                    "{path}: set memory or memoryReservation (MiB) on the container, or spec.memory for the whole task"
                ));
            }
            continue;
        };
        // ContainerDefinition.memory: "The total amount of memory reserved for all containers within a task must be
        // lower than the task memory value, if one is specified." A hard limit above it is a warning (`doubts`).
        reserved += non_negative(
            container
                .memory_reservation
                .or(container.memory)
                .unwrap_or(0),
        );
        if reserved > limit {
            return Err(format!(
                "{path}: with this container the containers reserve {reserved} MiB (memoryReservation, else memory), more than spec.memory ({limit} MiB); lower their reservations or raise spec.memory"
            ));
        }
    }
    Ok(())
}

/// Checks that the cpu of the containers adds up to at most `spec.cpu`. ContainerDefinition.cpu: "the total amount of
/// CPU reserved for all containers within a task be lower than the task-level cpu value".
pub(super) fn check_cpu(spec: &TaskDefinitionSpec, task_cpu: Option<u64>) -> Result<(), String> {
    let Some(limit) = task_cpu else {
        return Ok(());
    };
    let mut total = 0u64;
    for (i, container) in spec.container_definitions.iter().enumerate() {
        total += non_negative(container.cpu.unwrap_or(0));
        if total > limit {
            return Err(format!(
                "{}.cpu: with this container the containers' cpu adds up to {total} units, more than spec.cpu ({limit} units); lower container cpu or raise spec.cpu",
                container_path(i)
            ));
        }
    }
    Ok(())
}

/// A count or size from the API as `u64`; negative values (refused by the schema) count as 0.
fn non_negative(value: i32) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_errors;
    use super::*;

    #[test]
    fn parses_task_cpu_and_memory() {
        assert_eq!(parse_amount("1024", "vcpu"), Some(1024));
        assert_eq!(parse_amount("1 vCPU", "vcpu"), Some(1024));
        assert_eq!(parse_amount("2vcpu", "vcpu"), Some(2048));
        assert_eq!(parse_amount(".25 vCPU", "vcpu"), Some(256));
        assert_eq!(parse_amount("2 GB", "gb"), Some(2048));
        assert_eq!(parse_amount("0.5GB", "gb"), Some(512));
        assert_eq!(parse_amount(" 512 ", "gb"), Some(512));
        for bad in [
            "",
            "GB",
            "1.5",
            "2 TB",
            "1 vCPU",
            "1..5 GB",
            "-1",
            "0.0001 GB",
        ] {
            assert_eq!(parse_amount(bad, "gb"), None, "{bad:?}");
        }
    }

    #[test]
    fn names_the_field_of_each_mistake() {
        let cases: &[(&str, &str)] = &[
            (
                "containerDefinitions: [{name: a, image: i, memory: 8}, {name: b, image: i}]",
                "spec.containerDefinitions[1]: set memory or memoryReservation",
            ),
            (
                "containerDefinitions: [{name: a, image: i, memory: 256, memoryReservation: 512}]",
                "spec.containerDefinitions[0].memoryReservation: 512 MiB is above memory (256 MiB)",
            ),
            (
                "memory: '512'\ncontainerDefinitions: [{name: a, image: i, memory: 1024}]",
                "spec.containerDefinitions[0]: with this container the containers reserve 1024 MiB",
            ),
            (
                "memory: '1 GB'\ncontainerDefinitions: [{name: a, image: i, memoryReservation: 600}, {name: b, image: i, memory: 600}]",
                "spec.containerDefinitions[1]: with this container the containers reserve 1200 MiB",
            ),
            (
                "cpu: '1 vCPU'\nmemory: '2048'\ncontainerDefinitions: [{name: a, image: i, cpu: 512}, {name: b, image: i, cpu: 768}]",
                "spec.containerDefinitions[1].cpu: with this container the containers' cpu adds up to 1280 units",
            ),
            (
                "cpu: '512'\ncontainerDefinitions: [{name: a, image: i, cpu: 256, memory: 8}, {name: b, image: i, cpu: 512, memory: 8}]",
                "spec.containerDefinitions[1].cpu: with this container the containers' cpu adds up to 768 units",
            ),
            (
                "cpu: fast\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.cpu: \"fast\" is not a CPU amount",
            ),
            (
                "memory: 2 TB\ncontainerDefinitions: [{name: a, image: i}]",
                "spec.memory: \"2 TB\" is not a memory amount",
            ),
            (
                "cpu: '64'\ncontainerDefinitions: [{name: a, image: i, memory: 8}]",
                "spec.cpu: 64 CPU units is outside 128-196608",
            ),
        ];
        assert!(cases.len() >= 9, "{} cases", cases.len());
        assert_errors(cases);
    }
}
