//! Closed vocabularies, stored in Parquet as dictionary-encoded strings so that every
//! client (pandas, polars, DuckDB, Spark) reads them without a lookup table.

use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order of their numeric codes.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The string stored in Parquet files and accepted on the command line.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Dense numeric code (`0..ALL.len()`), for array indexing.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The value with dense code `index`, if any.
            pub fn from_index(index: usize) -> Option<Self> {
                Self::ALL.get(index).copied()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        kind: stringify!($name),
                        value: s.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }
    };
}

/// A string that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}' (expected one of: {})", expected.join(", "))]
pub struct UnknownValue {
    /// The enum's name.
    pub kind: &'static str,
    /// The rejected text.
    pub value: String,
    /// The accepted values.
    pub expected: &'static [&'static str],
}

string_enum! {
    /// An interaction channel. Each event row has exactly one.
    Channel {
        /// A direct (one-to-one) text message. `value` is null.
        Message => "message",
        /// A voice or video call placed by `src`. `value` is the duration in seconds.
        Call => "call",
        /// `src` liked a post of `dst`. `value` is null.
        Like => "like",
        /// `src` commented on a post of `dst`. `value` is null.
        Comment => "comment",
        /// `src` sent money to `dst`. `value` is the amount (currency units).
        Transfer => "transfer",
        /// A message by `src` in group chat `group_id`, replying to `dst`. `value` is null.
        GroupMessage => "group_message",
    }
}

/// Number of channels; per-channel arrays have this length.
pub const CHANNEL_COUNT: usize = 6;

string_enum! {
    /// The planted type of a relationship (ground truth only).
    Relation {
        /// Romantic partner or spouse.
        Partner => "partner",
        /// Household or extended family.
        Family => "family",
        /// A close friend.
        CloseFriend => "close_friend",
        /// Someone from the same workplace.
        Colleague => "colleague",
        /// Someone from the same school or class.
        Classmate => "classmate",
        /// A weak tie: neighbourhood, interest group, friend of a friend, long-range.
        Acquaintance => "acquaintance",
        /// A tie to a broadcaster or a spammer: a merchant, an official account, a stranger.
        Service => "service",
    }
}

string_enum! {
    /// What kind of account a person is (latent; the generator writes it to `truth_persons.parquet`).
    AccountType {
        /// An ordinary person.
        Person => "person",
        /// An official account, merchant or popular person: much one-way traffic.
        Broadcaster => "broadcaster",
        /// A spammer: many outgoing messages to people who do not answer.
        Spammer => "spammer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
            assert_eq!(Channel::from_index(c.index()), Some(*c));
        }
        for r in Relation::ALL {
            assert_eq!(r.as_str().parse::<Relation>().unwrap(), *r);
        }
        assert_eq!(Channel::ALL.len(), CHANNEL_COUNT);
    }

    #[test]
    fn unknown_value_lists_expected() {
        let err = "sms".parse::<Channel>().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("'sms'") && text.contains("group_message"),
            "{text}"
        );
    }
}
